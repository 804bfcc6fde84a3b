#include <sstream>

#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "ClientFixture.h"
#include "commands/OrderCommand.h"
#include "commands/ProductsCommand.h"
#include "commands/QuoteCommand.h"

namespace ambita::test {
namespace {

using Req = Poco::Net::HTTPServerRequest;
using Resp = Poco::Net::HTTPServerResponse;

const char* kCatalogue = R"([{"code": "WI99990033", "name": "Meglerpakke",
  "inputType": {"code": "CADASTRE", "name": "Matrikkel"}, "type": {"code": "PACKAGE", "name": "Pakke"},
  "price": {"salesPriceNet": 1650.4, "salesPriceVat": 2063.0},
  "children": [{"code": "WI99990900", "name": "Godkjente bygningstegninger"}]},
 {"code": "WI99990001", "name": "Målebrev", "inputType": "CADASTRE", "type": "NORMAL",
  "price": {"salesPriceNet": 100, "salesPriceVat": 125}}])";

class CommandsTest : public ClientFixture {
 protected:
  void SetUp() override {
    api = [this](Req& req, Resp& resp, const std::string& body) {
      if (!tokens.authorize(req, resp)) return;
      if (req.getURI().find("/kode/v1/products?municipality=9999") == 0)
        return reply(resp, 200, kCatalogue);
      if (req.getURI().find("/kode/v1/products") == 0)
        return reply(resp, 400, "{\"message\":\"unknown municipality\"}");
      if (req.getURI().find("/kode/v1/prices/") == 0) return reply(resp, pricesStatus, pricesBody);
      if (req.getMethod() == "POST") {
        lastBody = body;
        return reply(resp, 201, orderJson(4711));
      }
      reply(resp, 404, "{}");
    };
  }

  int run(const std::string& command, const std::vector<std::string>& args) {
    out.str("");
    err.str("");
    dms::CommandIO io{&out, &err, false};
    if (command == "products") return commands::runProductsCommand(client(), args, io);
    if (command == "quote") return commands::runQuoteCommand(client(), args, io);
    return commands::runOrderCommand(client(), args, io, limits, ask,
                                     [this](const api::OrderCollection& c, const api::NewOrder& o) {
                                       createdId = c.id;
                                       createdReference = o.reference;
                                     });
  }

  std::ostringstream out, err;
  // The price endpoint's answer; 404 (as where Ambita has none) falls back to the catalogue.
  int pricesStatus = 404;
  std::string pricesBody = "{}";
  commands::OrderLimits limits;
  commands::AskOnTerminal ask;  // empty: no terminal
  std::string lastBody;
  std::int64_t createdId = 0;
  std::string createdReference;
};

TEST_F(CommandsTest, ProductsTable) {
  ASSERT_EQ(run("products", {"--municipality", "9999"}), 0) << err.str();
  const std::string t = out.str();
  EXPECT_NE(t.find("CODE"), std::string::npos);
  EXPECT_NE(t.find("WI99990033"), std::string::npos);
  EXPECT_NE(t.find("Meglerpakke"), std::string::npos);
  EXPECT_NE(t.find("PACKAGE"), std::string::npos);
  EXPECT_NE(t.find("CADASTRE"), std::string::npos);
  EXPECT_NE(t.find("2063.00"), std::string::npos);
  EXPECT_NE(t.find("WI99990900"), std::string::npos);  // package child listed
  EXPECT_NE(t.find("Målebrev"), std::string::npos);
  EXPECT_NE(t.find("2 products"), std::string::npos);
}

TEST_F(CommandsTest, ProductsJson) {
  ASSERT_EQ(run("products", {"--municipality=9999", "--json"}), 0) << err.str();
  Poco::JSON::Parser p;
  auto arr = p.parse(out.str()).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(arr->size(), 2u);
  EXPECT_EQ(arr->getObject(0)->getValue<std::string>("code"), "WI99990033");
  EXPECT_DOUBLE_EQ(arr->getObject(0)->getObject("price")->getValue<double>("salesPriceVat"),
                   2063.0);
}

TEST_F(CommandsTest, ProductsUsageAndApiErrors) {
  EXPECT_EQ(run("products", {}), 2);
  EXPECT_NE(err.str().find("--municipality is required"), std::string::npos);
  EXPECT_NE(err.str().find("usage: products"), std::string::npos);
  EXPECT_EQ(run("products", {"--municipality", "99"}), 2);
  EXPECT_NE(err.str().find("--municipality: expected a 4-digit"), std::string::npos);
  EXPECT_EQ(run("products", {"--municipality", "9999", "--color"}), 2);
  EXPECT_NE(err.str().find("unknown option --color"), std::string::npos);
  EXPECT_EQ(run("products", {"--municipality"}), 2);
  EXPECT_NE(err.str().find("--municipality needs a value"), std::string::npos);
  EXPECT_EQ(run("products", {"--municipality", "1234"}), 1);
  EXPECT_NE(err.str().find("unknown municipality"), std::string::npos) << err.str();
}

TEST_F(CommandsTest, OrderCreatesAndReportsId) {
  ASSERT_EQ(run("order",
                {"--kind", "cadastre", "--cadastre", "9999-1-1-0-0", "--address",
                 "Infoveien 1, 9999 Infoland", "--product", "WI99990033", "--product", "WI99990001",
                 "--reference", "assignment-2024-117", "--technical-reference", "dms-case-8812"}),
            0)
      << err.str();
  const std::string printed = out.str();
  EXPECT_NE(printed.find("price from the catalogue"), std::string::npos) << printed;
  EXPECT_EQ(printed.substr(printed.size() - 20), "order created: 4711\n") << printed;
  EXPECT_EQ(createdId, 4711);
  EXPECT_EQ(createdReference, "assignment-2024-117");
  Poco::JSON::Parser p;
  auto body = p.parse(lastBody).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(body->getArray("products")->size(), 2u);
  EXPECT_EQ(body->getValue<std::string>("technicalReference"), "dms-case-8812");
}

TEST_F(CommandsTest, OrderShareAndMap) {
  ASSERT_EQ(run("order", {"--kind", "share", "--organization-number", "987654321", "--share-number",
                          "12", "--product", "WI99990100", "--reference", "r1"}),
            0)
      << err.str();
  ASSERT_EQ(run("order", {"--kind", "map", "--geometry",
                          R"({"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]})",
                          "--srid", "25833", "--product", "WI54010001", "--product-data",
                          R"(WI54010001={"system":"UTM"})", "--reference", "r2"}),
            0)
      << err.str();
  EXPECT_NE(lastBody.find("\"spatialReference\":\"25833\""), std::string::npos) << lastBody;
  EXPECT_NE(lastBody.find("UTM"), std::string::npos);
}

TEST_F(CommandsTest, OrderUsageErrorsNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    const char* expected;
  } cases[] = {
      {{}, "--kind is required"},
      {{"--kind", "house"}, "--kind: expected cadastre, share or map"},
      {{"--kind", "cadastre", "--address", "Gate 1, 0150 Oslo", "--product", "A", "--reference",
        "r"},
       "--cadastre is required"},
      {{"--kind", "cadastre", "--cadastre", "0301-1", "--address", "Gate 1, 0150 Oslo", "--product",
        "A", "--reference", "r"},
       "--cadastre: cadastre: expected knr-gnr-bnr-fnr-snr"},
      {{"--kind", "cadastre", "--cadastre", "0301-1-1-0-0", "--address", "Gate 1", "--product", "A",
        "--reference", "r"},
       "--address: address: expected"},
      {{"--kind", "cadastre", "--cadastre", "0301-1-1-0-0", "--address", "Gate 1, 0150 Oslo",
        "--srid", "25832", "--product", "A", "--reference", "r"},
       "--srid does not apply to --kind cadastre"},
      {{"--kind", "cadastre", "--cadastre", "0301-1-1-0-0", "--address", "Gate 1, 0150 Oslo",
        "--reference", "r"},
       "--product is required"},
      {{"--kind", "cadastre", "--cadastre", "0301-1-1-0-0", "--address", "Gate 1, 0150 Oslo",
        "--product", "A"},
       "--reference is required"},
      {{"--kind", "share", "--organization-number", "12", "--share-number", "1", "--product", "A",
        "--reference", "r"},
       "--organization-number: organizationNumber: expected 9 digits"},
      {{"--kind", "map", "--geometry", "{}", "--srid", "4326", "--product", "A", "--reference",
        "r"},
       "--srid: spatialReference: expected 25832 or 25833"},
      {{"--kind", "map", "--geometry", "[", "--srid", "25832", "--product", "A", "--reference",
        "r"},
       "--geometry: geometry: malformed JSON"},
      {{"--kind", "cadastre", "--cadastre", "0301-1-1-0-0", "--address", "Gate 1, 0150 Oslo",
        "--product", "A", "--product-data", "novalue", "--reference", "r"},
       "--product-data: expected CODE=JSON"},
      {{"--kind", "cadastre", "--cadastre", "0301-1-1-0-0", "--address", "Gate 1, 0150 Oslo",
        "--product", "A", "--reference", "r", "--reference", "s"},
       "--reference given twice"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(run("order", c.args), 2) << c.expected;
    EXPECT_NE(err.str().find(c.expected), std::string::npos) << err.str();
    EXPECT_NE(err.str().find("usage: order"), std::string::npos);
  }
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 0u);  // nothing was ordered
}

TEST_F(CommandsTest, OrderRefusedByAmbitaExitsOne) {
  api = [this](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 400, "{\"message\":\"product WI99990033 does not exist in municipality 0301\"}");
  };
  EXPECT_EQ(run("order", {"--kind", "cadastre", "--cadastre", "0301-1-1-0-0", "--address",
                          "Gate 1, 0150 Oslo", "--product", "WI99990033", "--reference", "r"}),
            1);
  EXPECT_NE(err.str().find("does not exist in municipality 0301"), std::string::npos) << err.str();
  EXPECT_EQ(createdId, 0);
}

const std::vector<std::string> kPackageOrder = {"--kind",      "cadastre",
                                                "--cadastre",  "9999-1-1-0-0",
                                                "--address",   "Infoveien 1, 9999 Infoland",
                                                "--product",   "WI99990033",
                                                "--reference", "assignment-7"};

TEST_F(CommandsTest, QuoteReadsThePriceEndpointExactly) {
  pricesStatus = 200;
  // Strings and numbers, and a price without its VAT (25 % assumed).
  pricesBody =
      R"([{"code": "WI99990033", "price": {"salesPriceNet": "1650.4", "salesPriceVat": 2063}},
                   {"code": "WI99990001", "price": {"salesPriceNet": 0.29}}])";
  auto args = kPackageOrder;
  args.insert(args.end(), {"--product", "WI99990001"});
  ASSERT_EQ(run("quote", args), 0) << err.str();
  const std::string t = out.str();
  EXPECT_NE(t.find("WI99990033  1650.40  412.60      2063.00"), std::string::npos) << t;
  EXPECT_NE(t.find("WI99990001     0.29    0.07         0.36"), std::string::npos) << t;
  EXPECT_NE(t.find("TOTAL       1650.69  412.67      2063.36"), std::string::npos) << t;
  EXPECT_NE(t.find("price from Ambita's price endpoint"), std::string::npos) << t;
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 0u);
  EXPECT_EQ(server->count("/kode/v1/prices/cadastre"), 1u);
}

TEST_F(CommandsTest, QuoteFallsBackToTheCatalogueWhereTheEndpointIsMissing) {
  for (int status : {404, 405, 501}) {
    pricesStatus = status;
    ASSERT_EQ(run("quote", kPackageOrder), 0) << status << ": " << err.str();
    EXPECT_NE(out.str().find("2063.00"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("price from the catalogue"), std::string::npos) << out.str();
  }
  // Another failure is an error, not a silent guess.
  pricesStatus = 400;
  pricesBody = R"({"message": "cadastre 9999-1-1-0-0 does not exist"})";
  EXPECT_EQ(run("quote", kPackageOrder), 1);
  EXPECT_NE(err.str().find("does not exist"), std::string::npos) << err.str();
}

TEST_F(CommandsTest, QuoteRefusesAnUnreadablePriceNamingThePath) {
  pricesStatus = 200;
  pricesBody = R"([{"code": "WI99990033", "price": {"salesPriceNet": "1650.405"}}])";
  EXPECT_EQ(run("quote", kPackageOrder), 1);
  EXPECT_NE(err.str().find("[0].price.salesPriceNet"), std::string::npos) << err.str();
  pricesBody = R"([{"code": "WI99990001", "price": {"salesPriceNet": 1}}])";
  EXPECT_EQ(run("quote", kPackageOrder), 1);
  EXPECT_NE(err.str().find("no price for product 'WI99990033'"), std::string::npos) << err.str();
}

TEST_F(CommandsTest, OrderAboveTheHardLimitIsRefusedBeforeAnythingIsSent) {
  limits.maxOrderOre = 2000 * 100;  // the package costs 2063.00 incl. VAT
  ask = [](const std::string&) { return std::optional(commands::TerminalAnswer::Yes); };
  auto args = kPackageOrder;
  args.push_back("--yes");
  EXPECT_EQ(run("order", args), 1);
  EXPECT_NE(err.str().find("above the limit of 2000.00 NOK"), std::string::npos) << err.str();
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 0u);
  EXPECT_EQ(createdId, 0);
  limits.maxOrderOre = 2063 * 100;  // exactly the price: allowed
  EXPECT_EQ(run("order", args), 0) << err.str();
  EXPECT_EQ(createdId, 4711);
}

TEST_F(CommandsTest, OrderAboveTheConfirmAmountNeedsYesWithoutATerminal) {
  limits.confirmAboveOre = 1000 * 100;
  EXPECT_EQ(run("order", kPackageOrder), 1);
  EXPECT_NE(err.str().find("pass --yes"), std::string::npos) << err.str();
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 0u);
  auto args = kPackageOrder;
  args.push_back("--yes");
  EXPECT_EQ(run("order", args), 0) << err.str();
  EXPECT_EQ(createdId, 4711);
}

TEST_F(CommandsTest, OrderAboveTheConfirmAmountAsksOnTheTerminal) {
  limits.confirmAboveOre = 1000 * 100;
  std::string asked;
  auto answer = commands::TerminalAnswer::No;
  ask = [&](const std::string& question) {
    asked = question;
    return std::optional(answer);
  };
  EXPECT_EQ(run("order", kPackageOrder), 1);
  EXPECT_NE(asked.find("2063.00 NOK"), std::string::npos) << asked;
  EXPECT_NE(err.str().find("not confirmed"), std::string::npos) << err.str();
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 0u);
  answer = commands::TerminalAnswer::Yes;
  EXPECT_EQ(run("order", kPackageOrder), 0) << err.str();
  EXPECT_EQ(createdId, 4711);
  // Below the amount nobody is asked.
  asked.clear();
  limits.confirmAboveOre = 5000 * 100;
  EXPECT_EQ(run("order", kPackageOrder), 0) << err.str();
  EXPECT_TRUE(asked.empty());
}

// The plugin's stop() cancels the question: nothing is ordered, and the message says why (a
// stop, not the user's "no").
TEST_F(CommandsTest, OrderWhoseConfirmationIsCancelledSaysThePluginIsStopping) {
  limits.confirmAboveOre = 1000 * 100;
  ask = [](const std::string&) { return std::optional(commands::TerminalAnswer::Cancelled); };
  EXPECT_EQ(run("order", kPackageOrder), 1);
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 0u);
  EXPECT_EQ(createdId, 0);
  EXPECT_NE(err.str().find("order: the plugin is stopping: the confirmation was cancelled and "
                           "nothing was ordered\n"),
            std::string::npos)
      << err.str();
  EXPECT_EQ(err.str().find("not confirmed"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace ambita::test
