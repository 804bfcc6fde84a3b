#include "commands/Quote.h"

#include <algorithm>
#include <map>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "commands/CommandLine.h"
#include "commands/Money.h"

namespace ambita::commands {
namespace {

dms::Error invalid(const std::string& message) {
  return dms::fail(dms::ErrorCode::InvalidArgument, message);
}

/// net and gross of a {"salesPriceNet", "salesPriceVat"} object; `path` names it in errors.
dms::Result<ProductPrice> readPrice(const Poco::JSON::Object& price, const std::string& path) {
  ProductPrice p;
  if (!price.has("salesPriceNet") || price.isNull("salesPriceNet"))
    return invalid(path + ".salesPriceNet: missing");
  auto net = parseOre(price.get("salesPriceNet"), path + ".salesPriceNet");
  if (!net) return net.error();
  p.netOre = *net;
  if (price.has("salesPriceVat") && !price.isNull("salesPriceVat")) {
    auto gross = parseOre(price.get("salesPriceVat"), path + ".salesPriceVat");
    if (!gross) return gross.error();
    p.grossOre = *gross;
  } else {
    p.grossOre = grossWithStandardVat(p.netOre);
  }
  return p;
}

/// The product list's price of each ordered product (the price endpoint is missing).
dms::Result<std::vector<ProductPrice>> cataloguePrices(api::AmbitaClient& client,
                                                       const std::vector<std::string>& codes) {
  std::map<std::string, std::vector<api::Product>> catalogues;  // by municipality
  std::vector<ProductPrice> prices;
  for (const auto& code : codes) {
    if (code.size() < 6 || code.compare(0, 2, "WI") != 0)
      return invalid("price of '" + code +
                     "': no price endpoint, and the code names no municipality to look it up in");
    const std::string municipality = code.substr(2, 4);
    if (!catalogues.count(municipality)) {
      auto products = client.products(municipality);
      if (!products) return products.error();
      catalogues[municipality] = std::move(*products);
    }
    const auto& list = catalogues[municipality];
    auto found = std::find_if(list.begin(), list.end(),
                              [&](const api::Product& p) { return p.code == code; });
    if (found == list.end() || !found->salesPriceNet)
      return invalid("price of '" + code + "': not in the product list of municipality " +
                     municipality);
    Poco::JSON::Object price;
    price.set("salesPriceNet", *found->salesPriceNet);
    if (found->salesPriceVat) price.set("salesPriceVat", *found->salesPriceVat);
    auto p = readPrice(price, "products[" + code + "].price");
    if (!p) return p.error();
    p->code = code;
    prices.push_back(*p);
  }
  return prices;
}

std::string padLeft(const std::string& text, std::size_t width) {
  return std::string(width > text.size() ? width - text.size() : 0, ' ') + text;
}

}  // namespace

std::int64_t Quote::netOre() const {
  std::int64_t sum = 0;
  for (const auto& p : products) sum += p.netOre;
  return sum;
}

std::int64_t Quote::grossOre() const {
  std::int64_t sum = 0;
  for (const auto& p : products) sum += p.grossOre;
  return sum;
}

dms::Result<std::vector<ProductPrice>> parsePriceAnswer(
    const Poco::Dynamic::Var& answer, const std::vector<std::string>& orderedCodes) {
  if (answer.type() != typeid(Poco::JSON::Array::Ptr))
    return invalid("price answer: expected a JSON array of {\"code\", \"price\"}");
  const auto list = answer.extract<Poco::JSON::Array::Ptr>();
  std::map<std::string, ProductPrice> byCode;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = "[" + std::to_string(i) + "]";
    const auto entry = list->getObject(static_cast<unsigned>(i));
    if (!entry) return invalid(path + ": expected an object {\"code\", \"price\"}");
    if (!entry->has("code") || !entry->get("code").isString())
      return invalid(path + ".code: missing or not a string");
    const auto price = entry->getObject("price");
    if (!price) return invalid(path + ".price: missing or not an object");
    auto p = readPrice(*price, path + ".price");
    if (!p) return p.error();
    p->code = entry->getValue<std::string>("code");
    byCode[p->code] = *p;
  }
  std::vector<ProductPrice> prices;
  for (const auto& code : orderedCodes) {
    auto it = byCode.find(code);
    if (it == byCode.end()) return invalid("price answer: no price for product '" + code + "'");
    prices.push_back(it->second);
  }
  return prices;
}

dms::Result<Quote> quoteOrder(api::AmbitaClient& client, const api::NewOrder& order) {
  Quote quote;
  auto answer = client.prices(order);
  if (answer) {
    auto prices = parsePriceAnswer(*answer, order.productCodes);
    if (!prices) return prices.error();
    quote.products = std::move(*prices);
    return quote;
  }
  if (answer.error().code != dms::ErrorCode::NotSupported) return answer.error();
  auto prices = cataloguePrices(client, order.productCodes);
  if (!prices) return prices.error();
  quote.products = std::move(*prices);
  quote.fromCatalogue = true;
  return quote;
}

void printQuote(const Quote& quote, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"PRODUCT", "NET", "VAT", "GROSS (NOK)"}};
  auto row = [](const std::string& name, std::int64_t net, std::int64_t gross) {
    return std::vector<std::string>{name, formatNok(net), formatNok(gross - net), formatNok(gross)};
  };
  for (const auto& p : quote.products) rows.push_back(row(p.code, p.netOre, p.grossOre));
  rows.push_back(row("TOTAL", quote.netOre(), quote.grossOre()));
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i)
      widths[i] = std::max(widths[i], CommandLine::displayWidth(r[i]));
  for (const auto& r : rows) {
    std::string line = r[0] + std::string(widths[0] - CommandLine::displayWidth(r[0]), ' ');
    // Amounts right-aligned, so the decimals line up.
    for (std::size_t i = 1; i < r.size(); ++i) line += "  " + padLeft(r[i], widths[i]);
    out << line << "\n";
  }
  out << (quote.fromCatalogue ? "price from the catalogue (Ambita offers no price endpoint here)\n"
                              : "price from Ambita's price endpoint\n");
}

}  // namespace ambita::commands
