// The cost of a case, end to end (issue 12 acceptance): the real dms-host with the real plugin,
// against the real ambita-sandbox with prices chosen so that binary floating point would drift
// (0.10, 0.15, 19.99, 33.33 NOK). A quote equals what the ledger records for the order; over 50
// orders the totals per case and per category are exact to the øre; cancelled and refunded
// orders (and a single cancelled line) are credited; the CSV (both locales, with BOM) and the
// JSON read back to the same totals. The expected amounts come from the sandbox's own view of
// each order, read here independently of the plugin's money code.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "E2eWorld.h"
#include "support/CsvReader.h"

namespace dms::e2e {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

struct Amounts {
  std::int64_t net = 0;
  std::int64_t gross = 0;
  bool operator==(const Amounts&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Amounts& a) {
  return out << "{net " << a.net << ", gross " << a.gross << "}";
}

/// NOK as the sandbox's JSON number → øre (the sandbox writes whole øre).
std::int64_t ore(double nok) {
  return std::llround(nok * 100);
}

bool credited(const std::string& status) {
  return status == "CANCELLED" || status == "REFUNDED";
}

/// What each case and category should cost, from the sandbox's view of every order.
struct Expected {
  Amounts total;
  std::map<std::string, Amounts> byReference;
  std::map<std::string, Amounts> byCategory;
  int creditedLines = 0;  ///< lines with a price that were cancelled or refunded
};

Expected expectedFrom(const test::SandboxProcess& sandbox, const std::vector<std::int64_t>& ids) {
  Expected expected;
  for (const auto id : ids) {
    auto order =
        sandbox.control("GET", "/_sandbox/orders/" + std::to_string(id)).extract<Object::Ptr>();
    const auto reference = order->getValue<std::string>("reference");
    const bool orderCredited = credited(order->getValue<std::string>("status"));
    auto suppliers = order->getArray("orders");
    for (std::size_t s = 0; s < suppliers->size(); ++s) {
      auto lines = suppliers->getObject(static_cast<unsigned>(s))->getArray("orderLines");
      for (std::size_t l = 0; l < lines->size(); ++l) {
        auto line = lines->getObject(static_cast<unsigned>(l));
        Amounts price{ore(line->getValue<double>("priceNet")),
                      ore(line->getValue<double>("priceVat"))};
        if (orderCredited || credited(line->getValue<std::string>("status"))) {
          expected.creditedLines += price.net != 0;
          continue;
        }
        std::string category;
        auto assets = line->getArray("assets");
        for (std::size_t a = 0; assets && a < assets->size() && category.empty(); ++a)
          category = assets->getObject(static_cast<unsigned>(a))
                         ->optValue<std::string>("productCategory", "");
        for (auto* sum :
             {&expected.total, &expected.byReference[reference], &expected.byCategory[category]}) {
          sum->net += price.net;
          sum->gross += price.gross;
        }
      }
    }
  }
  return expected;
}

/// The subtotal rows of a `costs --csv --by ...` output, and its total row.
std::map<std::string, Amounts> csvSubtotals(const std::string& csv, char separator, Amounts& total,
                                            Amounts& sumOfLines) {
  std::map<std::string, Amounts> subtotals;
  const auto records = test::readCsv(csv, separator);
  EXPECT_GE(records.size(), 2u) << csv;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const auto& f = records[i];
    if (f.size() != 13) {
      ADD_FAILURE() << "record " << i << " has " << f.size() << " fields";
      continue;
    }
    const Amounts amounts{test::oreFromText(f[10]), test::oreFromText(f[12])};
    EXPECT_EQ(test::oreFromText(f[11]), amounts.gross - amounts.net) << "VAT = gross - net";
    if (f[8] == "total") {
      total = amounts;
    } else if (f[8] == "subtotal") {
      subtotals[f[0]] = amounts;
    } else {
      sumOfLines.net += amounts.net;
      sumOfLines.gross += amounts.gross;
    }
  }
  return subtotals;
}

std::string createBody(const std::string& reference, const std::vector<std::string>& products) {
  std::ostringstream body;
  body << R"({"orderData": {"address": "Infoveien 1, 9999 Infoland", "cadastre": "9999-1-1-0-0"},)"
       << R"("reference": ")" << reference << R"(", "products": [)";
  for (std::size_t i = 0; i < products.size(); ++i)
    body << (i ? ", " : "") << R"({"code": ")" << products[i] << R"("})";
  body << "]}";
  return body.str();
}

TEST(CostsE2eTest, QuoteLedgerCreditsAndReportsAgreeToTheOre) {
  WorldOptions options;
  options.sandboxArgs = {
      "--price",          "WI99990400=0.10", "--price",          "WI99990210=0.15", "--price",
      "WI99990310=19.99", "--price",         "WI99990110=33.33", "--asset-size",    "64"};
  E2eWorld world(options);
  auto& sandbox = world.sandbox();

  // A quote, then the same order placed through dms-host.
  const std::vector<std::string> orderArgs{"--kind",     "cadastre",
                                           "--cadastre", "9999-1-1-0-0",
                                           "--address",  "Infoveien 1, 9999 Infoland",
                                           "--product",  "WI99990400",
                                           "--product",  "WI99990110"};
  auto quoteArgs = orderArgs;
  quoteArgs.insert(quoteArgs.begin(), "quote");
  const auto quote = world.host(quoteArgs);
  ASSERT_EQ(quote.exitCode, 0) << quote.out << quote.err;
  std::istringstream quoteLines(quote.out);
  Amounts quoted;
  for (std::string row; std::getline(quoteLines, row);) {
    std::istringstream words(row);
    std::string first, net, vat, gross;
    if (words >> first >> net >> vat >> gross && first == "TOTAL")
      quoted = {test::oreFromText(net), test::oreFromText(gross)};
  }
  ASSERT_EQ(quoted.net, 10 + 3333) << quote.out;
  auto placeArgs = orderArgs;
  placeArgs.insert(placeArgs.begin(), "order");
  placeArgs.insert(placeArgs.end(), {"--reference", "Sak quote"});
  const auto placed = world.host(placeArgs);
  const auto marker = placed.out.find("order created: ");
  ASSERT_TRUE(placed.exitCode == 0 && marker != std::string::npos) << placed.out << placed.err;
  std::vector<std::int64_t> ids{std::stoll(placed.out.substr(marker + 15))};

  // 49 more orders over five cases, with every product mix of the chosen prices.
  const std::vector<std::vector<std::string>> mixes{{"WI99990400"},
                                                    {"WI99990210", "WI99990310"},
                                                    {"WI99990110", "WI99990400", "WI99990210"},
                                                    {"WI99990033"},
                                                    {"WI99990310", "WI99990110"}};
  for (int i = 0; i < 49; ++i)
    ids.push_back(sandbox.createOrder(
        "cadastre", createBody("Sak " + std::to_string(i % 5), mixes[(i * 3) % mixes.size()])));
  for (const auto id : ids) sandbox.step(id, 0);  // delivered: every line has its files

  std::vector<std::string> syncArgs{"sync"};
  for (const auto id : ids) syncArgs.insert(syncArgs.end(), {"--order", std::to_string(id)});
  auto sync = world.host(syncArgs, std::chrono::seconds(240));
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;

  // After they were charged: some cancelled, some refunded, one line cancelled on its own.
  for (std::size_t i = 1; i < ids.size(); ++i) {
    if (i % 7 == 3) sandbox.cancel(ids[i]);
    if (i % 7 == 5) sandbox.refund(ids[i]);
  }
  auto lineOrder =
      sandbox.control("GET", "/_sandbox/orders/" + std::to_string(ids[2])).extract<Object::Ptr>();
  const auto lineId = lineOrder->getArray("orders")
                          ->getObject(0)
                          ->getArray("orderLines")
                          ->getObject(0)
                          ->getValue<std::int64_t>("id");
  sandbox.control("POST", "/_sandbox/orders/" + std::to_string(ids[2]) + "/lines/" +
                              std::to_string(lineId) + "/cancel");
  sync = world.host(syncArgs, std::chrono::seconds(240));
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;

  // Line-level files carry their line's price (decimal NOK, as Ambita reports it): 33.33 for
  // the product ordered on its own, 0.00 as a child of the Meglerpakke (the package line is
  // priced).
  std::size_t pricedFiles = 0;
  for (const auto& file : world.archive().files()) {
    auto md = file.metadata;
    if (md["ambita.product"] != "WI99990110" || md["ambita.orderLineId"].empty()) continue;
    const bool own = md["ambita.priceNet"] == "33.33" && md["ambita.priceVat"] == "41.66";
    const bool packaged = md["ambita.priceNet"] == "0.00" && md["ambita.priceVat"] == "0.00";
    EXPECT_TRUE(own || packaged) << file.path << ": " << md["ambita.priceNet"] << " / "
                                 << md["ambita.priceVat"];
    pricedFiles += own;
  }
  EXPECT_GT(pricedFiles, 0u);

  const auto expected = expectedFrom(sandbox, ids);
  ASSERT_GT(expected.creditedLines, 5);
  ASSERT_GE(expected.byCategory.size(), 4u);

  // JSON by case: every case's total exact; the quote's order costs what was quoted.
  auto json = world.host({"costs", "--json", "--by", "reference"});
  ASSERT_EQ(json.exitCode, 0) << json.err;
  auto root = Poco::JSON::Parser().parse(json.out).extract<Object::Ptr>();
  auto amountsOf = [](const Object::Ptr& o) {
    return Amounts{o->getValue<std::int64_t>("netOre"), o->getValue<std::int64_t>("grossOre")};
  };
  EXPECT_EQ(amountsOf(root->getObject("total")), expected.total);
  std::map<std::string, Amounts> jsonByReference;
  int credits = 0;
  auto groups = root->getArray("groups");
  for (std::size_t g = 0; g < groups->size(); ++g) {
    auto group = groups->getObject(static_cast<unsigned>(g));
    jsonByReference[group->getValue<std::string>("key")] = amountsOf(group->getObject("total"));
    auto entries = group->getArray("entries");
    for (std::size_t e = 0; e < entries->size(); ++e)
      credits +=
          entries->getObject(static_cast<unsigned>(e))->getValue<std::string>("kind") == "credit";
  }
  EXPECT_EQ(jsonByReference, expected.byReference);
  EXPECT_EQ(jsonByReference["Sak quote"], quoted) << "the ledger records what was quoted";
  EXPECT_EQ(credits, expected.creditedLines) << "each credited line has one credit entry";

  // CSV by category, Norwegian locale with BOM; and by case, default locale.
  auto csvNo = world.host({"costs", "--csv", "--bom", "--locale", "no", "--by", "category"});
  ASSERT_EQ(csvNo.exitCode, 0) << csvNo.err;
  ASSERT_EQ(csvNo.out.rfind("\xEF\xBB\xBF", 0), 0u);
  Amounts total, lines;
  EXPECT_EQ(csvSubtotals(csvNo.out, ';', total, lines), expected.byCategory);
  EXPECT_EQ(total, expected.total);
  EXPECT_EQ(lines, expected.total);

  auto csvEn = world.host({"costs", "--csv", "--by", "reference"});
  ASSERT_EQ(csvEn.exitCode, 0) << csvEn.err;
  total = lines = {};
  EXPECT_EQ(csvSubtotals(csvEn.out, ',', total, lines), expected.byReference);
  EXPECT_EQ(total, expected.total);
}

}  // namespace
}  // namespace dms::e2e
