#pragma once
/// The cost ledger (issue 12): what each order line cost, kept in the state from the prices
/// Ambita reports in the order's GET (`priceNet`, and `priceVat` = the price including VAT),
/// in integer øre (commands/Money). A line's cost is the sum of its entries, which are only
/// appended: the first price is a "charge", a price Ambita changes an "adjustment", and a line
/// (or order) that is CANCELLED or REFUNDED gets a "credit" of what was charged — never a
/// silent removal. Recording the same GET again appends nothing.
///
/// Pure functions plus one that reads the store (the Reconciler writes what it returns with the
/// rest of the order, StateStore::commitOrder); no I/O otherwise. Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/Model.h"
#include "dms/Error.h"
#include "filing/StateStore.h"

namespace ambita::filing {

/// The kind of the entry that credits a line (cancelled or refunded): minus what it was charged.
inline constexpr const char* kCreditEntry = "credit";

/// An amount in øre, net and gross (including VAT; VAT is gross minus net): a line's price, or
/// the sum of ledger entries.
struct CostTotals {
  std::int64_t netOre = 0;
  std::int64_t grossOre = 0;
  std::int64_t vatOre() const { return grossOre - netOre; }
  static CostTotals of(const LedgerEntry& e) { return {e.netOre, e.grossOre}; }
  void add(const LedgerEntry& e) {
    netOre += e.netOre;
    grossOre += e.grossOre;
  }
  bool operator==(const CostTotals&) const = default;
};

/// What one order cost, from its ledger entries.
struct OrderCost {
  CostTotals totals;      ///< the sum of the order's entries
  bool credited = false;  ///< a line of it was credited (cancelled or refunded), not charged again
};

/// The cost of one order's `entries` (in the order recorded); nullopt when there are none.
std::optional<OrderCost> orderCost(const std::vector<LedgerEntry>& entries);

/// What one GET changes in the ledger of its order.
struct CostChanges {
  /// The lines whose description (as now seen) differs from the stored one, or new: a GET that
  /// changed nothing rewrites nothing (issue 15: a re-sync with nothing new writes nothing).
  std::vector<LedgerLine> lines;
  std::vector<LedgerEntry> entries;   ///< amounts to append (empty when nothing changed)
  std::vector<std::string> problems;  ///< prices that could not be read (the line is left as is)
};

/// Compares what `order` says each line costs with what the ledger of that order holds
/// (`knownLines`, `knownEntries`). `reference` is the order's case reference as tracked; `now`
/// (ISO 8601) stamps new entries and stands in for an order date Ambita left out. Lines are
/// the order lines with a price; an answer whose lines carry no price at all is taken at the
/// collection's own priceNet/priceVat, as line 0. A missing priceVat means 25 % VAT on the net.
CostChanges costChanges(const api::OrderCollection& order, const std::string& reference,
                        const std::vector<LedgerLine>& knownLines,
                        const std::vector<LedgerEntry>& knownEntries, const std::string& now);

/// costChanges against the order's ledger as stored: reads the store, writes nothing (the
/// Reconciler records them with the rest of the order, StateStore::commitOrder).
dms::Result<CostChanges> orderCostChanges(StateStore& store, const api::OrderCollection& order,
                                          const std::string& reference, const std::string& now);

/// Ambita's dateOrdered in either generation ("21.02.2021 13:26:52", "2021-01-28T09:10:15+0100",
/// "21.02.2021") as "YYYY-MM-DDTHH:MM:SS"; nullopt for anything else.
std::optional<std::string> isoOrderDate(const std::string& dateOrdered);

/// True for the statuses whose lines cost nothing (CANCELLED, REFUNDED).
bool isCreditedStatus(const std::string& status);

}  // namespace ambita::filing
