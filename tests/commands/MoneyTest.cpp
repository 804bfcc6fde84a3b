#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "commands/Money.h"
#include "commands/OrderLimits.h"

namespace ambita::test {
namespace {

using commands::formatNok;
using commands::parseOre;

TEST(MoneyTest, DecimalTextBecomesExactOre) {
  const std::vector<std::pair<std::string, std::int64_t>> table = {
      {"0", 0},           {"123.5", 12350},   {"2063", 206300},
      {"2063.0", 206300}, {"1650.4", 165040}, {"0.01", 1},
      {"1.250", 125},     {"1.2500000", 125}, {" 7.05 ", 705},
      {"-10.00", -1000},  {".5", 50},         {"5.", 500},
      {"0.1", 10},        {"0.29", 29},       {"999999999999.99", 99999999999999}};
  for (const auto& [text, ore] : table) {
    auto parsed = parseOre(std::string_view(text), "price.salesPriceNet");
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, ore) << text;
  }
}

TEST(MoneyTest, BadTextIsRefusedNamingThePath) {
  for (const std::string text :
       {"", "abc", "1.234", "1.2.3", "1e3", "12,50", "-", ".", "1000000000000"}) {
    auto parsed = parseOre(std::string_view(text), "[2].price.salesPriceVat");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find("[2].price.salesPriceVat"), std::string::npos)
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("'" + text + "'"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(MoneyTest, JsonNumbersAndStringsAreExact) {
  // 0.29 * 100 is 28.999999999999996 in binary floating point: the parser must not truncate.
  Poco::JSON::Parser parser;
  auto json = parser.parse(R"([0.29, 1650.4, 2063, "123.5", 19.99, 1e2, 0.1])")
                  .extract<Poco::JSON::Array::Ptr>();
  const std::vector<std::int64_t> expected = {29, 165040, 206300, 12350, 1999, 10000, 10};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto parsed = parseOre(json->get(static_cast<unsigned>(i)), "[" + std::to_string(i) + "]");
    ASSERT_TRUE(parsed) << i << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, expected[i]) << i;
  }
  auto notANumber = parseOre(Poco::Dynamic::Var(true), "[0].price.salesPriceNet");
  ASSERT_FALSE(notANumber);
  EXPECT_NE(notANumber.error().message.find("[0].price.salesPriceNet"), std::string::npos);
}

TEST(MoneyTest, FormatsWithTwoDecimals) {
  EXPECT_EQ(formatNok(165040), "1650.40");
  EXPECT_EQ(formatNok(5), "0.05");
  EXPECT_EQ(formatNok(0), "0.00");
  EXPECT_EQ(formatNok(-1000), "-10.00");
  EXPECT_EQ(commands::grossWithStandardVat(165040), 206300);
  EXPECT_EQ(commands::grossWithStandardVat(2), 3);  // 2.5 øre rounds half up
}

/// The limits as the plugin reads them: through a reader of the section.
dms::Result<commands::OrderLimits> limitsOf(const std::string& json) {
  auto reader = dms::config::OptionReader::parse(json, {commands::orderConfigOptions()}, "ambita");
  if (!reader) return reader.error();
  return commands::parseOrderLimits(*reader);
}

TEST(OrderLimitsTest, DefaultsAndAmountsInOre) {
  auto defaults = limitsOf("{}");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->confirmAboveOre, 500000);
  EXPECT_EQ(defaults->maxOrderOre, 0);
  auto given = limitsOf(R"({"orders": {"confirmAboveNok": 0, "maxOrderNok": 12000.5}})");
  ASSERT_TRUE(given) << given.error().message;
  EXPECT_EQ(given->confirmAboveOre, 0);
  EXPECT_EQ(given->maxOrderOre, 1200050);
}

TEST(OrderLimitsTest, BadAmountsNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"orders": {"maxOrderNok": 10.123}})", "ambita.orders.maxOrderNok"},
      {R"({"orders": {"confirmAboveNok": -1}})", "ambita.orders.confirmAboveNok"},
      {R"({"orders": {"confirmAboveNok": true}})", "ambita.orders.confirmAboveNok"},
      {R"({"orders": 5})", "ambita.orders"}};
  for (const auto& [json, key] : cases) {
    auto limits = limitsOf(json);
    ASSERT_FALSE(limits) << json;
    EXPECT_EQ(limits.error().message.rfind(key, 0), 0u) << limits.error().message;
  }
}

}  // namespace
}  // namespace ambita::test
