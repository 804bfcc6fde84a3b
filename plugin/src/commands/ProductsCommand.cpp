#include "commands/ProductsCommand.h"

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/SharedPtr.h>

#include "commands/CommandLine.h"

namespace ambita::commands {
namespace {

std::string price(const std::optional<double>& v) {
  if (!v) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << *v;
  return out.str();
}

Poco::JSON::Object::Ptr codeNameJson(const api::CodeName& c) {
  auto o = Poco::makeShared<Poco::JSON::Object>(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("code", c.code);
  o->set("name", c.name);
  return o;
}

void printJson(const std::vector<api::Product>& products, std::ostream& out) {
  Poco::JSON::Array list;
  for (const auto& p : products) {
    auto o = Poco::makeShared<Poco::JSON::Object>(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("code", p.code);
    o->set("name", p.name);
    o->set("description", p.description);
    o->set("type", codeNameJson(p.type));
    o->set("inputType", codeNameJson(p.inputType));
    o->set("delivery", codeNameJson(p.delivery));
    o->set("status", codeNameJson(p.status));
    auto priceObj = Poco::makeShared<Poco::JSON::Object>(Poco::JSON_PRESERVE_KEY_ORDER);
    if (p.salesPriceNet) priceObj->set("salesPriceNet", *p.salesPriceNet);
    if (p.salesPriceVat) priceObj->set("salesPriceVat", *p.salesPriceVat);
    o->set("price", priceObj);
    auto children = Poco::makeShared<Poco::JSON::Array>();
    for (const auto& c : p.children) children->add(codeNameJson(c));
    o->set("children", children);
    list.add(o);
  }
  list.stringify(out, 2);
  out << "\n";
}

void printTable(const std::vector<api::Product>& products, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"CODE", "NAME", "TYPE", "INPUT", "PRICE INCL. VAT (NOK)"});
  for (const auto& p : products) {
    rows.push_back({p.code, CommandLine::oneLine(p.name), p.type.code.empty() ? "-" : p.type.code,
                    p.inputType.code.empty() ? "-" : p.inputType.code, price(p.salesPriceVat)});
    for (const auto& child : p.children)
      rows.push_back(
          {"  " + child.code, "  " + CommandLine::oneLine(child.name), "(in package)", "", ""});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i)
      widths[i] = std::max(widths[i], CommandLine::displayWidth(r[i]));
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      const bool last = i + 1 == r.size();
      if (last) {
        // Prices right-aligned, so the decimals line up.
        line += std::string(widths[i] - CommandLine::displayWidth(r[i]), ' ') + r[i];
      } else {
        line += r[i] + std::string(widths[i] - CommandLine::displayWidth(r[i]) + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
  out << products.size() << " product" << (products.size() == 1 ? "" : "s") << "\n";
}

}  // namespace

int runProductsCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                       const dms::CommandIO& io) {
  std::ostream& out = *io.out;
  std::ostream& err = *io.err;
  try {
    CommandLine cl(args, {"--municipality"}, {"--json"});
    if (!cl.ok()) return CommandLine::usageError(err, cl.problem(), kProductsUsage);
    const auto municipality = cl.single("--municipality");
    if (!municipality)
      return CommandLine::usageError(err, "--municipality is required", kProductsUsage);
    if (municipality->size() != 4 || !std::all_of(municipality->begin(), municipality->end(),
                                                  [](unsigned char c) { return std::isdigit(c); }))
      return CommandLine::usageError(
          err,
          "--municipality: expected a 4-digit kommunenummer (e.g. 0301), got '" + *municipality +
              "'",
          kProductsUsage);
    auto products = client.products(*municipality);
    if (!products) {
      err << "products: " << products.error().describe() << "\n";
      return 1;
    }
    if (cl.flag("--json")) {
      printJson(*products, out);
    } else {
      printTable(*products, out);
    }
    return out.good() ? 0 : 1;
  } catch (const std::exception& e) {
    err << "products: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ambita::commands
