#include "commands/OrderCommand.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "api/OrderRequest.h"
#include "commands/CommandLine.h"

namespace ambita::commands {
namespace {

int usage(const dms::CommandIO& io, const std::string& problem) {
  return CommandLine::usageError(*io.err, problem, kOrderUsage);
}

}  // namespace

int runOrderCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                    const dms::CommandIO& io, const OrderCreated& onCreated) {
  try {
    const std::set<std::string> valueFlags = {
        "--kind",     "--cadastre", "--address",   "--organization-number", "--share-number",
        "--geometry", "--srid",     "--reference", "--technical-reference"};
    CommandLine cl(args, valueFlags, {}, {"--product", "--product-data"});
    if (!cl.ok()) return usage(io, cl.problem());

    const auto kindName = cl.single("--kind");
    if (!kindName) return usage(io, "--kind is required (cadastre, share or map)");
    const auto kind = api::OrderRequest::parseKind(*kindName);
    if (!kind) return usage(io, "--kind: expected cadastre, share or map, got '" + *kindName + "'");

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
        return usage(io, flag + " does not apply to --kind " + *kindName);

    auto required = [&](const std::string& flag) -> std::optional<std::string> {
      return cl.single(flag);
    };
    dms::Result<std::string> orderData = std::string();
    if (*kind == api::OrderKind::Cadastre) {
      const auto cadastre = required("--cadastre");
      const auto address = required("--address");
      if (!cadastre) return usage(io, "--cadastre is required for --kind cadastre");
      if (!address) return usage(io, "--address is required for --kind cadastre");
      orderData = api::OrderRequest::cadastreData(*cadastre, *address);
    } else if (*kind == api::OrderKind::Share) {
      const auto org = required("--organization-number");
      const auto share = required("--share-number");
      if (!org) return usage(io, "--organization-number is required for --kind share");
      if (!share) return usage(io, "--share-number is required for --kind share");
      orderData = api::OrderRequest::shareData(*org, *share);
    } else {
      auto geometry = required("--geometry");
      const auto srid = required("--srid");
      if (!geometry) return usage(io, "--geometry is required for --kind map");
      if (!srid) return usage(io, "--srid is required for --kind map (25832 or 25833)");
      if (!geometry->empty() && geometry->front() == '@') {
        std::ifstream in(geometry->substr(1));
        if (!in) return usage(io, "--geometry: cannot read file '" + geometry->substr(1) + "'");
        std::ostringstream text;
        text << in.rdbuf();
        geometry = text.str();
      }
      orderData = api::OrderRequest::mapData(*geometry, *srid);
    }
    if (!orderData) {
      // The validator names the field; say which flag carries it.
      const std::string& m = orderData.error().message;
      std::string flag = m.substr(0, m.find(':'));
      if (flag == "cadastre")
        flag = "--cadastre";
      else if (flag == "address")
        flag = "--address";
      else if (flag == "organizationNumber")
        flag = "--organization-number";
      else if (flag == "shareNumber")
        flag = "--share-number";
      else if (flag == "spatialReference")
        flag = "--srid";
      else
        flag = "--geometry";
      return usage(io, flag + ": " + m);
    }

    const auto products = cl.all("--product");
    if (products.empty()) return usage(io, "--product is required (at least one product code)");
    std::vector<std::pair<std::string, std::string>> productData;
    for (const auto& item : cl.all("--product-data")) {
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        return usage(io, "--product-data: expected CODE=JSON, got '" + item + "'");
      productData.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
    const auto reference = cl.single("--reference");
    if (!reference || reference->empty())
      return usage(io, "--reference is required (e.g. the case or assignment number)");
    auto order = api::OrderRequest::make(*kind, *orderData, products, productData, *reference,
                                         cl.single("--technical-reference").value_or(""));
    if (!order) {
      const std::string& m = order.error().message;
      std::string flag = "--product";
      if (m.rfind("reference", 0) == 0)
        flag = "--reference";
      else if (m.rfind("technicalReference", 0) == 0)
        flag = "--technical-reference";
      else if (m.rfind("product data", 0) == 0)
        flag = "--product-data";
      return usage(io, flag + ": " + m);
    }

    auto created = client.createOrder(*order);
    if (!created) {
      *io.err << "order: " << created.error().describe() << "\n";
      return 1;
    }
    if (onCreated) onCreated(*created, *order);
    *io.out << "order created: " << created->id << "\n";
    return 0;
  } catch (const std::exception& e) {
    *io.err << "order: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ambita::commands
