// `costs` (commands/AdminCosts, issue 12) over a ledger written into the real state: totals,
// grouping, and CSV/JSON that read back to the same øre.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "EngineFixture.h"
#include "commands/AdminCommands.h"
#include "commands/Money.h"
#include "support/CsvReader.h"

namespace ambita::test {
namespace {

using filing::LedgerEntry;
using filing::LedgerLine;

using dms::test::readCsv;

std::int64_t ore(const std::string& text) {
  return dms::test::oreFromText(text);
}

class CostsCommandTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    // Two cases; a hostile product name; one line charged then credited; 0.10 NOK prices that
    // binary floating point cannot add exactly.
    std::vector<LedgerLine> lines{
        {1, 11, 101, "WI99990110", "Regulering; \"plan\"\nmed bestemmelser", "PLAN_KART_REGULERING",
         "Sak Ø 1", "2026-10-30T09:00:00", "FINISHED"},
        {1, 12, 101, "WI99990900", "Tegninger, godkjente", "", "Sak Ø 1", "2026-10-30T09:00:00",
         "CANCELLED"},
        {2, 21, 102, "WI99990900", "Tegninger", "PRODUKT_UTEN_KATEGORI", "Sak 2",
         "2026-11-02T10:00:00", "FINISHED"}};
    std::vector<LedgerEntry> entries{{0, 1, 11, "charge", 52000, 65000, "FINISHED", "t"},
                                     {0, 1, 12, "charge", 10, 13, "NEW", "t"},
                                     {0, 1, 12, "credit", -10, -13, "CANCELLED", "t"},
                                     {0, 2, 21, "charge", 165040, 206300, "FINISHED", "t"}};
    for (int i = 0; i < 7; ++i)
      entries.push_back({0, 2, 21, "adjustment", 10, 12, "FINISHED", "t"});
    ASSERT_TRUE(store_->recordCosts(lines, entries).ok());
  }

  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run run(const std::vector<std::string>& args) {
    commands::AdminCommands admin(*service_, *config_);
    std::ostringstream out, err;
    const int code = admin.run("costs", args, {&out, &err, false});
    return {code, out.str(), err.str()};
  }

  static constexpr std::int64_t kNet = 52000 + 165040 + 70;
  static constexpr std::int64_t kGross = 65000 + 206300 + 84;
};

TEST_F(CostsCommandTest, CsvInBothLocalesReadsBackToTheSameTotals) {
  for (const bool norwegian : {false, true}) {
    std::vector<std::string> args{"--csv", "--bom", "--by", "reference"};
    if (norwegian) args.insert(args.end(), {"--locale", "no"});
    auto r = run(args);
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(r.out.rfind("\xEF\xBB\xBF", 0), 0u) << "UTF-8 BOM first";
    const auto records = readCsv(r.out, norwegian ? ';' : ',');
    ASSERT_GE(records.size(), 2u);
    const auto& header = records.front();
    ASSERT_EQ(header.size(), 13u);
    EXPECT_EQ(header[10], "net");
    std::map<std::string, std::int64_t> netByGroup, subtotalByGroup;
    std::int64_t net = 0, vat = 0, gross = 0, totalNet = 0, totalGross = 0;
    bool hostileNameIntact = false;
    for (std::size_t i = 1; i < records.size(); ++i) {
      const auto& f = records[i];
      ASSERT_EQ(f.size(), 13u) << "record " << i;
      if (f[8] == "total") {
        totalNet = ore(f[10]);
        totalGross = ore(f[12]);
        EXPECT_EQ(ore(f[11]), totalGross - totalNet);
      } else if (f[8] == "subtotal") {
        subtotalByGroup[f[0]] = ore(f[10]);
      } else {
        net += ore(f[10]);
        vat += ore(f[11]);
        gross += ore(f[12]);
        netByGroup[f[0]] += ore(f[10]);
        hostileNameIntact |= f[4] == "Regulering; \"plan\"\nmed bestemmelser";
      }
    }
    EXPECT_TRUE(hostileNameIntact) << "quoting keeps separators, quotes and line breaks\n" << r.out;
    EXPECT_EQ(net, kNet);
    EXPECT_EQ(gross, kGross);
    EXPECT_EQ(vat, kGross - kNet);
    EXPECT_EQ(totalNet, kNet);
    EXPECT_EQ(totalGross, kGross);
    EXPECT_EQ(netByGroup, subtotalByGroup);
    EXPECT_EQ(subtotalByGroup["Sak Ø 1"], 52000);
    if (norwegian) {
      EXPECT_NE(r.out.find("520,00"), std::string::npos) << "decimal comma";
    }
  }
}

TEST_F(CostsCommandTest, JsonGivesExactAmountsAndFilters) {
  auto r = run({"--json", "--by", "category", "--reference", "Sak Ø 1"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto root = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  auto total = root->getObject("total");
  EXPECT_EQ(total->getValue<std::int64_t>("netOre"), 52000);
  EXPECT_EQ(total->getValue<std::string>("gross"), "650.00");
  auto groups = root->getArray("groups");
  ASSERT_EQ(groups->size(), 2u) << r.out;  // "" (the credited line's) and PLAN_KART_REGULERING
  std::int64_t sum = 0;
  for (std::size_t g = 0; g < groups->size(); ++g) {
    auto list = groups->getObject(static_cast<unsigned>(g))->getArray("entries");
    for (std::size_t e = 0; e < list->size(); ++e)
      sum += list->getObject(static_cast<unsigned>(e))->getValue<std::int64_t>("netOre");
  }
  EXPECT_EQ(sum, 52000);

  auto november = run({"--json", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "month"});
  ASSERT_EQ(november.code, 0) << november.err;
  auto nov = Poco::JSON::Parser().parse(november.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(nov->getObject("total")->getValue<std::int64_t>("netOre"), 165040 + 70);
  EXPECT_EQ(nov->getArray("groups")->getObject(0)->getValue<std::string>("key"), "2026-11");
}

TEST_F(CostsCommandTest, TableShowsTheTotalAndBadUsageIsNamed) {
  auto table = run({"--by", "product"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find(commands::formatNok(kNet)), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("subtotal WI99990900"), std::string::npos) << table.out;

  for (const auto& [args, named] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--by", "colour"}, "--by"},
           {{"--from", "2026-02-30"}, "--from"},
           {{"--to", "30.11.2026"}, "--to"},
           {{"--csv", "--locale", "de"}, "--locale"},
           {{"--bom"}, "--bom"},
           {{"--csv", "--json"}, "--csv"}}) {
    auto r = run(args);
    EXPECT_EQ(r.code, 2) << args.front();
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace ambita::test
