// The cost ledger's rules (filing/CostLedger.h): what one GET of an order adds to the ledger.
#include <gtest/gtest.h>

#include "filing/CostLedger.h"

namespace ambita::filing {
namespace {

constexpr const char* kNow = "2026-11-29T12:00:00Z";

api::OrderLine line(std::int64_t id, const std::string& product, std::optional<double> net,
                    std::optional<double> gross, const std::string& status = "FINISHED") {
  api::OrderLine l;
  l.id = id;
  l.product = product;
  l.priceNet = net;
  l.priceVat = gross;
  l.status = status;
  return l;
}

api::OrderCollection order(std::vector<api::OrderLine> lines,
                           const std::string& status = "PROGRESS") {
  api::OrderCollection o;
  o.id = 1000001;
  o.status = status;
  o.dateOrdered = "21.02.2021 13:26:52";
  api::SupplierOrder so;
  so.id = 2000001;
  so.orderLines = std::move(lines);
  o.orders.push_back(so);
  return o;
}

/// Applies `changes` to a ledger kept in memory, as the store would.
void apply(const CostChanges& changes, std::vector<LedgerLine>& lines,
           std::vector<LedgerEntry>& entries) {
  for (const auto& l : changes.lines) {
    bool replaced = false;
    for (auto& known : lines)
      if (known.lineId == l.lineId) known = l, replaced = true;
    if (!replaced) lines.push_back(l);
  }
  for (auto e : changes.entries) {
    e.seq = static_cast<std::int64_t>(entries.size()) + 1;
    entries.push_back(e);
  }
}

std::int64_t sumNet(const std::vector<LedgerEntry>& entries) {
  std::int64_t sum = 0;
  for (const auto& e : entries) sum += e.netOre;
  return sum;
}

TEST(CostLedger, FirstPriceIsAChargeAndTheSameGetAddsNothing) {
  auto o = order({line(11, "WI99990033", 1650.4, 2063.0), line(12, "WI99990900", 0.1, 0.13)});
  o.reference = "ignored: the tracked reference counts";
  std::vector<LedgerLine> lines;
  std::vector<LedgerEntry> entries;
  auto first = costChanges(o, "Oppdrag 117", lines, entries, kNow);
  EXPECT_TRUE(first.problems.empty());
  ASSERT_EQ(first.entries.size(), 2u);
  EXPECT_EQ(first.entries[0].kind, "charge");
  EXPECT_EQ(first.entries[0].netOre, 165040);
  EXPECT_EQ(first.entries[0].grossOre, 206300);
  EXPECT_EQ(first.entries[1].netOre, 10);
  EXPECT_EQ(first.entries[1].grossOre, 13);
  ASSERT_EQ(first.lines.size(), 2u);
  EXPECT_EQ(first.lines[0].reference, "Oppdrag 117");
  EXPECT_EQ(first.lines[0].orderedAt, "2021-02-21T13:26:52");
  EXPECT_EQ(first.lines[0].supplierOrderId, 2000001);
  apply(first, lines, entries);

  auto again = costChanges(o, "Oppdrag 117", lines, entries, kNow);
  EXPECT_TRUE(again.entries.empty()) << "recording the same GET twice must not charge twice";
}

TEST(CostLedger, CancelledOrderIsCreditedAndRefundedLineToo) {
  std::vector<LedgerLine> lines;
  std::vector<LedgerEntry> entries;
  apply(costChanges(order({line(11, "A", 520, 650), line(12, "B", 300, 375)}), "R", lines, entries,
                    kNow),
        lines, entries);

  // One line refunded: only it is credited.
  auto refunded = costChanges(order({line(11, "A", 520, 650), line(12, "B", 300, 375, "REFUNDED")}),
                              "R", lines, entries, kNow);
  ASSERT_EQ(refunded.entries.size(), 1u);
  EXPECT_EQ(refunded.entries[0].kind, "credit");
  EXPECT_EQ(refunded.entries[0].lineId, 12);
  EXPECT_EQ(refunded.entries[0].netOre, -30000);
  EXPECT_EQ(refunded.entries[0].grossOre, -37500);
  EXPECT_EQ(refunded.entries[0].status, "REFUNDED");
  apply(refunded, lines, entries);

  // The whole order cancelled (its lines may still say FINISHED): the rest is credited.
  auto cancelled = costChanges(
      order({line(11, "A", 520, 650), line(12, "B", 300, 375, "REFUNDED")}, "CANCELLED"), "R",
      lines, entries, kNow);
  ASSERT_EQ(cancelled.entries.size(), 1u);
  EXPECT_EQ(cancelled.entries[0].lineId, 11);
  EXPECT_EQ(cancelled.entries[0].netOre, -52000);
  EXPECT_EQ(cancelled.entries[0].status, "CANCELLED");
  apply(cancelled, lines, entries);
  EXPECT_EQ(sumNet(entries), 0);
  EXPECT_EQ(entries.size(), 4u) << "charges stay: credits are added, nothing is removed";
}

TEST(CostLedger, ChangedPriceIsAnAdjustmentAndUnreadablePriceAProblem) {
  std::vector<LedgerLine> lines;
  std::vector<LedgerEntry> entries;
  apply(costChanges(order({line(11, "A", 100, 125)}), "R", lines, entries, kNow), lines, entries);
  auto changed = costChanges(order({line(11, "A", 99.99, 124.99)}), "R", lines, entries, kNow);
  ASSERT_EQ(changed.entries.size(), 1u);
  EXPECT_EQ(changed.entries[0].kind, "adjustment");
  EXPECT_EQ(changed.entries[0].netOre, -1);
  EXPECT_EQ(changed.entries[0].grossOre, -1);

  auto odd = costChanges(order({line(11, "A", 1.005, 1.26)}), "R", lines, entries, kNow);
  EXPECT_TRUE(odd.entries.empty()) << "a price that is not whole øre changes nothing";
  ASSERT_EQ(odd.problems.size(), 1u);
  EXPECT_NE(odd.problems[0].find("order 1000001 line 11.priceNet"), std::string::npos)
      << odd.problems[0];
}

TEST(CostLedger, MissingVatIsTwentyFivePercentAndCollectionOnlyPriceIsLineZero) {
  auto noVat = costChanges(order({line(11, "A", 0.1, std::nullopt)}), "R", {}, {}, kNow);
  ASSERT_EQ(noVat.entries.size(), 1u);
  EXPECT_EQ(noVat.entries[0].grossOre, 13);  // 12.5 øre, half up

  auto o = order({line(11, "A", std::nullopt, std::nullopt)});
  o.priceNet = 1650.4;
  o.priceVat = 2063;
  auto collection = costChanges(o, "R", {}, {}, kNow);
  ASSERT_EQ(collection.entries.size(), 1u);
  EXPECT_EQ(collection.entries[0].lineId, 0);
  EXPECT_EQ(collection.entries[0].netOre, 165040);
  EXPECT_EQ(collection.lines.size(), 2u);
}

TEST(CostLedger, CategoryComesFromTheLinesFilesAndIsKept) {
  auto withFile = line(11, "A", 520, 650);
  api::Asset asset;
  asset.id = "a1";
  asset.productCategory = "PLAN_KART_REGULERING";
  withFile.assets.push_back(asset);
  std::vector<LedgerLine> lines;
  std::vector<LedgerEntry> entries;
  apply(costChanges(order({withFile}), "R", lines, entries, kNow), lines, entries);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].category, "PLAN_KART_REGULERING");
  auto later = costChanges(order({line(11, "A", 520, 650)}), "R", lines, entries, kNow);
  apply(later, lines, entries);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].category, "PLAN_KART_REGULERING");
  // A later change of the line (its status) rewrites it, still with the category learned first.
  auto changed =
      costChanges(order({line(11, "A", 520, 650, "PROGRESS")}), "R", lines, entries, kNow);
  ASSERT_EQ(changed.lines.size(), 1u);
  EXPECT_EQ(changed.lines[0].category, "PLAN_KART_REGULERING");
}

TEST(CostLedger, TheSameGetAgainRewritesNoLine) {
  // Issue 15: a re-sync with nothing new must leave the ledger untouched (no write at all).
  auto o = order({line(11, "A", 520, 650), line(12, "B", 300, 375)});
  std::vector<LedgerLine> lines;
  std::vector<LedgerEntry> entries;
  apply(costChanges(o, "R", lines, entries, kNow), lines, entries);
  ASSERT_EQ(lines.size(), 2u);
  auto again = costChanges(o, "R", lines, entries, "2026-11-30T12:00:00Z");
  EXPECT_TRUE(again.lines.empty());
  EXPECT_TRUE(again.entries.empty());
  EXPECT_TRUE(again.problems.empty());

  auto renamed = o;
  renamed.orders[0].orderLines[1].productName = "B, renamed";
  auto changed = costChanges(renamed, "R", lines, entries, kNow);
  ASSERT_EQ(changed.lines.size(), 1u) << "only the line that changed";
  EXPECT_EQ(changed.lines[0].lineId, 12);
  EXPECT_EQ(changed.lines[0].productName, "B, renamed");
}

TEST(CostLedger, OrderDatesOfBothGenerations) {
  EXPECT_EQ(isoOrderDate("21.02.2021 13:26:52"), "2021-02-21T13:26:52");
  EXPECT_EQ(isoOrderDate("21.02.2021"), "2021-02-21T00:00:00");
  EXPECT_EQ(isoOrderDate("2021-01-28T09:10:15+0100"), "2021-01-28T09:10:15");
  EXPECT_FALSE(isoOrderDate("yesterday").has_value());
  EXPECT_FALSE(isoOrderDate("").has_value());
  auto o = order({line(11, "A", 1, 1.25)});
  o.dateOrdered = "";
  EXPECT_EQ(costChanges(o, "R", {}, {}, kNow).lines[0].orderedAt, "2026-11-29T12:00:00");
}

TEST(CostLedger, OrderCostSumsTheEntriesAndIsCreditedWhileALineStaysCredited) {
  EXPECT_FALSE(orderCost({}).has_value()) << "nothing in the ledger: no cost, not 0.00";
  std::vector<LedgerEntry> entries{{1, 7, 1, "charge", 52000, 65000, "FINISHED", "t"},
                                   {2, 7, 2, "charge", 10, 13, "NEW", "t"},
                                   {3, 7, 2, kCreditEntry, -10, -13, "CANCELLED", "t"}};
  auto cost = orderCost(entries);
  ASSERT_TRUE(cost.has_value());
  EXPECT_EQ(cost->totals, (CostTotals{52000, 65000}));
  EXPECT_EQ(cost->totals.vatOre(), 13000);
  EXPECT_TRUE(cost->credited);
  // The credited line charged again (Ambita reinstated it): no longer credited.
  entries.push_back({4, 7, 2, "charge", 10, 13, "FINISHED", "t"});
  cost = orderCost(entries);
  EXPECT_EQ(cost->totals, (CostTotals{52010, 65013}));
  EXPECT_FALSE(cost->credited);
}

}  // namespace
}  // namespace ambita::filing
