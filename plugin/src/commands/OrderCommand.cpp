#include "commands/OrderCommand.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "api/OrderRequest.h"
#include "commands/CommandLine.h"
#include "commands/Money.h"
#include "commands/Quote.h"

namespace ambita::commands {
namespace {

/// Writes a usage problem and yields the exit code 2 (bound to the command's usage line).
using UsageError = std::function<int(const std::string& problem)>;

/// The flag that carries the orderData field an OrderRequest error names.
std::string flagOfOrderDataField(const std::string& message) {
  const std::string field = message.substr(0, message.find(':'));
  if (field == "cadastre") return "--cadastre";
  if (field == "address") return "--address";
  if (field == "organizationNumber") return "--organization-number";
  if (field == "shareNumber") return "--share-number";
  if (field == "spatialReference") return "--srid";
  return "--geometry";
}

/// The orderData JSON of the kind's flags, or the exit code of a usage error already written.
std::variant<std::string, int> orderDataFromFlags(const CommandLine& cl, api::OrderKind kind,
                                                  const UsageError& usage) {
  dms::Result<std::string> orderData = std::string();
  if (kind == api::OrderKind::Cadastre) {
    const auto cadastre = cl.single("--cadastre");
    const auto address = cl.single("--address");
    if (!cadastre) return usage("--cadastre is required for --kind cadastre");
    if (!address) return usage("--address is required for --kind cadastre");
    orderData = api::OrderRequest::cadastreData(*cadastre, *address);
  } else if (kind == api::OrderKind::Share) {
    const auto org = cl.single("--organization-number");
    const auto share = cl.single("--share-number");
    if (!org) return usage("--organization-number is required for --kind share");
    if (!share) return usage("--share-number is required for --kind share");
    orderData = api::OrderRequest::shareData(*org, *share);
  } else {
    auto geometry = cl.single("--geometry");
    const auto srid = cl.single("--srid");
    if (!geometry) return usage("--geometry is required for --kind map");
    if (!srid) return usage("--srid is required for --kind map (25832 or 25833)");
    if (!geometry->empty() && geometry->front() == '@') {
      std::ifstream in(geometry->substr(1));
      if (!in) return usage("--geometry: cannot read file '" + geometry->substr(1) + "'");
      std::ostringstream text;
      text << in.rdbuf();
      geometry = text.str();
    }
    orderData = api::OrderRequest::mapData(*geometry, *srid);
  }
  // The validator names the field; say which flag carries it.
  if (!orderData)
    return usage(flagOfOrderDataField(orderData.error().message) + ": " +
                 orderData.error().message);
  return std::move(*orderData);
}

/// Prints the price and decides whether it may be committed: refuses above the hard limit,
/// and above the confirmation amount unless --yes was given or the user agreed on a terminal.
bool priceAccepted(api::AmbitaClient& client, const api::NewOrder& order, bool yes,
                   const OrderLimits& limits, const AskOnTerminal& ask, const dms::CommandIO& io) {
  auto quote = quoteOrder(client, order);
  if (!quote) {
    const bool limited = limits.maxOrderOre > 0 || (limits.confirmAboveOre > 0 && !yes);
    if (limited) {
      *io.err << "order: cannot learn the price to check it against the configured limits, so "
                 "nothing was ordered: "
              << quote.error().describe() << "\n";
      return false;
    }
    *io.err << "order: warning: price unknown (" << quote.error().describe()
            << "); ordering anyway, as no limit applies\n";
    return true;
  }
  *io.out << "price of this order:\n";
  printQuote(*quote, *io.out);
  const std::int64_t gross = quote->grossOre();
  if (limits.maxOrderOre > 0 && gross > limits.maxOrderOre) {
    *io.err << "order: refused: the price " << formatNok(gross)
            << " NOK incl. VAT is above the limit of " << formatNok(limits.maxOrderOre)
            << " NOK (ambita.orders.maxOrderNok); nothing was ordered\n";
    return false;
  }
  if (limits.confirmAboveOre <= 0 || gross <= limits.confirmAboveOre || yes) return true;
  const std::string question = "Order for " + formatNok(gross) + " NOK incl. VAT? [y/N] ";
  const std::optional<TerminalAnswer> answer = ask ? ask(question) : std::nullopt;
  if (!answer) {
    *io.err << "order: the price " << formatNok(gross) << " NOK incl. VAT is above "
            << formatNok(limits.confirmAboveOre)
            << " NOK (ambita.orders.confirmAboveNok) and there is no terminal to confirm on: "
               "pass --yes to order anyway; nothing was ordered\n";
    return false;
  }
  if (*answer == TerminalAnswer::Cancelled)
    *io.err << "order: the plugin is stopping: the confirmation was cancelled and nothing was "
               "ordered\n";
  if (*answer == TerminalAnswer::No) *io.err << "order: not confirmed; nothing was ordered\n";
  return *answer == TerminalAnswer::Yes;
}

}  // namespace

std::variant<OrderArguments, int> parseOrderArguments(const std::vector<std::string>& args,
                                                      const dms::CommandIO& io,
                                                      ArgumentsFor purpose) {
  const char* usageLine = purpose == ArgumentsFor::Quote ? kQuoteUsage : kOrderUsage;
  const UsageError usage = [&](const std::string& problem) {
    return CommandLine::usageError(*io.err, problem, usageLine);
  };
  const std::set<std::string> valueFlags = {
      "--kind",     "--cadastre", "--address",   "--organization-number", "--share-number",
      "--geometry", "--srid",     "--reference", "--technical-reference"};
  CommandLine cl(args, valueFlags, {"--yes"}, {"--product", "--product-data"});
  if (!cl.ok()) return usage(cl.problem());

  const auto kindName = cl.single("--kind");
  if (!kindName) return usage("--kind is required (cadastre, share or map)");
  const auto kind = api::OrderRequest::parseKind(*kindName);
  if (!kind) return usage("--kind: expected cadastre, share or map, got '" + *kindName + "'");

  // Flags of the other kinds would be silently ignored: refuse them instead.
  const std::vector<std::pair<std::string, api::OrderKind>> kindFlags = {
      {"--cadastre", api::OrderKind::Cadastre},
      {"--address", api::OrderKind::Cadastre},
      {"--organization-number", api::OrderKind::Share},
      {"--share-number", api::OrderKind::Share},
      {"--geometry", api::OrderKind::Map},
      {"--srid", api::OrderKind::Map}};
  for (const auto& [flag, k] : kindFlags)
    if (cl.single(flag) && k != *kind)
      return usage(flag + " does not apply to --kind " + *kindName);

  auto orderData = orderDataFromFlags(cl, *kind, usage);
  if (const int* exitCode = std::get_if<int>(&orderData)) return *exitCode;

  const auto products = cl.all("--product");
  if (products.empty()) return usage("--product is required (at least one product code)");
  std::vector<std::pair<std::string, std::string>> productData;
  for (const auto& item : cl.all("--product-data")) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return usage("--product-data: expected CODE=JSON, got '" + item + "'");
    productData.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  auto reference = cl.single("--reference").value_or("");
  if (reference.empty()) {
    if (purpose == ArgumentsFor::Order)
      return usage("--reference is required (e.g. the case or assignment number)");
    // A price request carries no reference; this one only passes the order's own validation.
    reference = "quote";
  }
  auto order =
      api::OrderRequest::make(*kind, std::get<std::string>(orderData), products, productData,
                              reference, cl.single("--technical-reference").value_or(""));
  if (!order) {
    const std::string& m = order.error().message;
    std::string flag = "--product";
    if (m.rfind("reference", 0) == 0)
      flag = "--reference";
    else if (m.rfind("technicalReference", 0) == 0)
      flag = "--technical-reference";
    else if (m.rfind("product data", 0) == 0)
      flag = "--product-data";
    return usage(flag + ": " + m);
  }
  return OrderArguments{std::move(*order), cl.flag("--yes")};
}

int runOrderCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                    const dms::CommandIO& io, const OrderLimits& limits, const AskOnTerminal& ask,
                    const OrderCreated& onCreated) {
  try {
    auto parsed = parseOrderArguments(args, io, ArgumentsFor::Order);
    if (const int* exitCode = std::get_if<int>(&parsed)) return *exitCode;
    const auto& [order, yes] = std::get<OrderArguments>(parsed);
    if (!priceAccepted(client, order, yes, limits, ask, io)) return 1;

    auto created = client.createOrder(order);
    if (!created) {
      *io.err << "order: " << created.error().describe() << "\n";
      return 1;
    }
    if (onCreated) onCreated(*created, order);
    *io.out << "order created: " << created->id << "\n";
    return 0;
  } catch (const std::exception& e) {
    *io.err << "order: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ambita::commands
