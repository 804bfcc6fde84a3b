#include "filing/CostLedger.h"

#include <cctype>
#include <map>
#include <utility>

#include <Poco/Dynamic/Var.h>

#include "commands/Money.h"

namespace ambita::filing {
namespace {

using Amount = CostTotals;

bool digitsAt(const std::string& s, std::size_t from, std::size_t count) {
  if (s.size() < from + count) return false;
  for (std::size_t i = from; i < from + count; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

/// The price Ambita gives (`net`, `gross` as parsed JSON numbers), or nullopt without a net
/// price; a price that is not an amount in NOK is a problem naming `where`.
std::optional<Amount> readAmount(const std::optional<double>& net,
                                 const std::optional<double>& gross, const std::string& where,
                                 std::vector<std::string>& problems) {
  if (!net) return std::nullopt;
  auto netOre = commands::parseOre(Poco::Dynamic::Var(*net), where + ".priceNet");
  if (!netOre) {
    problems.push_back(netOre.error().message);
    return std::nullopt;
  }
  Amount amount{*netOre, commands::grossWithStandardVat(*netOre)};
  if (gross) {
    auto grossOre = commands::parseOre(Poco::Dynamic::Var(*gross), where + ".priceVat");
    if (!grossOre) {
      problems.push_back(grossOre.error().message);
      return std::nullopt;
    }
    amount.grossOre = *grossOre;
  }
  return amount;
}

/// The productCategory of the line's first file that names one ("" when none does).
std::string categoryOf(const api::OrderLine& line) {
  for (const auto& asset : line.assets)
    if (!asset.productCategory.empty()) return asset.productCategory;
  return "";
}

/// One line of the GET: its description and what it costs now (nullopt: price unknown).
struct SeenLine {
  LedgerLine line;
  std::optional<Amount> price;
};

std::vector<SeenLine> seenLines(const api::OrderCollection& order, const std::string& reference,
                                const std::string& orderedAt, std::vector<std::string>& problems) {
  std::vector<SeenLine> seen;
  bool anyLinePriced = false;
  for (const auto& supplierOrder : order.orders) {
    for (const auto& l : supplierOrder.orderLines) {
      const std::string where =
          "order " + std::to_string(order.id) + " line " + std::to_string(l.id);
      SeenLine s;
      s.line = {order.id,      l.id,      supplierOrder.id, l.product, l.productName,
                categoryOf(l), reference, orderedAt,        l.status};
      s.price = readAmount(l.priceNet, l.priceVat, where, problems);
      anyLinePriced = anyLinePriced || l.priceNet.has_value();
      seen.push_back(std::move(s));
    }
  }
  if (!anyLinePriced && order.priceNet) {
    // Liberal: an answer that prices only the collection is recorded as one line (id 0).
    SeenLine s;
    s.line = {order.id, 0, 0, "", "", "", reference, orderedAt, order.status};
    s.price =
        readAmount(order.priceNet, order.priceVat, "order " + std::to_string(order.id), problems);
    seen.push_back(std::move(s));
  }
  return seen;
}

}  // namespace

bool isCreditedStatus(const std::string& status) {
  return status == "CANCELLED" || status == "REFUNDED";
}

std::optional<std::string> isoOrderDate(const std::string& d) {
  // Newer generation: dd.MM.yyyy[ HH:mm:ss]
  if (digitsAt(d, 0, 2) && d.size() >= 10 && d[2] == '.' && digitsAt(d, 3, 2) && d[5] == '.' &&
      digitsAt(d, 6, 4)) {
    std::string time = "00:00:00";
    if (d.size() >= 19 && d[10] == ' ' && digitsAt(d, 11, 2) && d[13] == ':' &&
        digitsAt(d, 14, 2) && d[16] == ':' && digitsAt(d, 17, 2))
      time = d.substr(11, 8);
    return d.substr(6, 4) + "-" + d.substr(3, 2) + "-" + d.substr(0, 2) + "T" + time;
  }
  // Older generation: yyyy-MM-ddTHH:mm:ss(+zone); the local time as written.
  if (digitsAt(d, 0, 4) && d.size() >= 19 && d[4] == '-' && digitsAt(d, 5, 2) && d[7] == '-' &&
      digitsAt(d, 8, 2) && d[10] == 'T' && digitsAt(d, 11, 2) && d[13] == ':' &&
      digitsAt(d, 14, 2) && d[16] == ':' && digitsAt(d, 17, 2))
    return d.substr(0, 19);
  return std::nullopt;
}

std::optional<OrderCost> orderCost(const std::vector<LedgerEntry>& entries) {
  if (entries.empty()) return std::nullopt;
  OrderCost cost;
  std::map<std::int64_t, bool> lineCredited;  // by line: is its latest entry a credit
  for (const auto& e : entries) {
    cost.totals.add(e);
    lineCredited[e.lineId] = e.kind == kCreditEntry;
  }
  for (const auto& [lineId, credited] : lineCredited) cost.credited |= credited;
  return cost;
}

CostChanges costChanges(const api::OrderCollection& order, const std::string& reference,
                        const std::vector<LedgerLine>& knownLines,
                        const std::vector<LedgerEntry>& knownEntries, const std::string& now) {
  CostChanges changes;
  std::map<std::int64_t, const LedgerLine*> known;
  for (const auto& l : knownLines) known[l.lineId] = &l;
  std::map<std::int64_t, Amount> charged;  // by line: the sum of its entries
  for (const auto& e : knownEntries) charged[e.lineId].add(e);
  const std::string orderedAt = isoOrderDate(order.dateOrdered).value_or("");
  const bool orderCredited = isCreditedStatus(order.status);

  for (auto& seen : seenLines(order, reference, orderedAt, changes.problems)) {
    LedgerLine& line = seen.line;
    if (auto k = known.find(line.lineId); k != known.end()) {
      // What the ledger learned once stays: files (and their category) may be withdrawn later.
      if (line.category.empty()) line.category = k->second->category;
      if (line.orderedAt.empty()) line.orderedAt = k->second->orderedAt;
    }
    if (line.orderedAt.empty()) line.orderedAt = now.substr(0, 19);
    const bool credited = orderCredited || isCreditedStatus(line.status);
    if (orderCredited && !isCreditedStatus(line.status)) line.status = order.status;

    const Amount current = charged[line.lineId];
    std::optional<Amount> target = credited ? std::optional<Amount>(Amount{}) : seen.price;
    if (target && !(*target == current)) {
      LedgerEntry e;
      e.orderId = order.id;
      e.lineId = line.lineId;
      e.kind = current == Amount{} ? "charge" : *target == Amount{} ? kCreditEntry : "adjustment";
      e.netOre = target->netOre - current.netOre;
      e.grossOre = target->grossOre - current.grossOre;
      e.status = line.status;
      e.recordedAt = now;
      changes.entries.push_back(std::move(e));
    }
    const auto k = known.find(line.lineId);
    if (k == known.end() || !(*k->second == line)) changes.lines.push_back(std::move(line));
  }
  return changes;
}

dms::Result<CostChanges> orderCostChanges(StateStore& store, const api::OrderCollection& order,
                                          const std::string& reference, const std::string& now) {
  auto lines = store.ledgerLines(order.id);
  if (!lines) return lines.error();
  auto entries = store.ledgerEntries(order.id);
  if (!entries) return entries.error();
  return costChanges(order, reference, *lines, *entries, now);
}

}  // namespace ambita::filing
