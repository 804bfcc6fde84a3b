#include "commands/AdminCosts.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <tuple>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "commands/CommandLine.h"
#include "commands/Money.h"
#include "status/StatusJson.h"

namespace ambita::commands {
namespace {

bool digits(const std::string& s, std::size_t from, std::size_t count) {
  for (std::size_t i = from; i < from + count; ++i)
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
  return true;
}

std::string groupKey(const std::string& by, const CostRow& row) {
  if (by == "reference") return row.line.reference;
  if (by == "category") return row.line.category;
  if (by == "product") return row.line.product;
  if (by == "month") return row.line.orderedAt.substr(0, 7);
  return "";
}

/// A key as shown to a person: "(none)" for an empty one.
std::string shownKey(const std::string& key) {
  return key.empty() ? "(none)" : key;
}

std::string amountText(std::int64_t ore, bool decimalComma) {
  std::string text = formatNok(ore);
  if (decimalComma) std::replace(text.begin(), text.end(), '.', ',');
  return text;
}

/// One RFC 4180 field: quoted (quotes doubled) when it holds the separator, a quote or a line
/// break, or starts or ends with a space (which some spreadsheets would trim).
std::string csvField(const std::string& value, char separator) {
  const bool quote =
      value.find_first_of(std::string{separator, '"', '\r', '\n'}) != std::string::npos ||
      (!value.empty() && (value.front() == ' ' || value.back() == ' '));
  if (!quote) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void csvRow(std::ostream& out, const std::vector<std::string>& fields, char separator) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out << separator;
    out << csvField(fields[i], separator);
  }
  out << "\r\n";
}

Poco::JSON::Object totalsJson(const CostTotals& totals) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  status::json::setAmounts(o, totals);
  return o;
}

}  // namespace

dms::Status checkReportDate(const std::string& flag, const std::string& text) {
  static const int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const auto bad = [&](const std::string& why) {
    return dms::fail(dms::ErrorCode::InvalidArgument,
                     flag + ": expected a date YYYY-MM-DD, got \"" + text + "\" (" + why + ")");
  };
  if (text.size() != 10 || !digits(text, 0, 4) || text[4] != '-' || !digits(text, 5, 2) ||
      text[7] != '-' || !digits(text, 8, 2))
    return bad("not in that form");
  const int year = std::stoi(text.substr(0, 4));
  const int month = std::stoi(text.substr(5, 2));
  const int day = std::stoi(text.substr(8, 2));
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12) return bad("no such month");
  if (day < 1 || day > kDaysIn[month - 1] || (month == 2 && day == 29 && !leap))
    return bad("no such day");
  return {};
}

void selectCostRows(const std::vector<filing::LedgerLine>& lines,
                    const std::vector<filing::LedgerEntry>& entries, const CostQuery& query,
                    std::vector<CostRow>& rows) {
  std::map<std::pair<std::int64_t, std::int64_t>, const filing::LedgerLine*> lineOf;
  for (const auto& l : lines) lineOf[{l.orderId, l.lineId}] = &l;
  for (const auto& e : entries) {
    CostRow row;
    if (auto it = lineOf.find({e.orderId, e.lineId}); it != lineOf.end()) row.line = *it->second;
    row.line.orderId = e.orderId;
    row.line.lineId = e.lineId;
    row.entry = e;
    const std::string day = row.line.orderedAt.substr(0, 10);
    if (query.reference && row.line.reference != *query.reference) continue;
    if (query.from && day < *query.from) continue;
    if (query.to && day > *query.to) continue;
    rows.push_back(std::move(row));
  }
}

CostReport buildCostReport(const std::vector<filing::LedgerLine>& lines,
                           const std::vector<filing::LedgerEntry>& entries,
                           const CostQuery& query) {
  std::vector<CostRow> rows;
  selectCostRows(lines, entries, query, rows);
  return groupCostRows(std::move(rows), query);
}

CostReport groupCostRows(std::vector<CostRow> rows, const CostQuery& query) {
  std::stable_sort(rows.begin(), rows.end(), [](const CostRow& a, const CostRow& b) {
    return std::tie(a.line.orderedAt, a.line.orderId, a.line.lineId, a.entry.seq) <
           std::tie(b.line.orderedAt, b.line.orderId, b.line.lineId, b.entry.seq);
  });

  CostReport report;
  report.by = query.by;
  std::map<std::string, CostGroup> groups;
  for (auto& row : rows) {
    report.totals.add(row.entry);
    const std::string key = groupKey(query.by, row);
    auto& group = groups[key];
    group.key = key;
    group.totals.add(row.entry);
    group.rows.push_back(std::move(row));
  }
  for (auto& [key, group] : groups) report.groups.push_back(std::move(group));
  return report;
}

void printCostTable(const CostReport& report, std::ostream& out) {
  // Rows first, so the amounts line up after the widest label (measured in code points).
  struct Row {
    std::string label;
    std::optional<CostTotals> totals;  ///< none: a group heading
  };
  std::vector<Row> rows{{"order/line  product  category  date  kind", std::nullopt}};
  for (const auto& group : report.groups) {
    if (!report.by.empty())
      rows.push_back({report.by + " " + CommandLine::oneLine(shownKey(group.key)), std::nullopt});
    for (const auto& r : group.rows) {
      rows.push_back({"  " + std::to_string(r.line.orderId) + "/" + std::to_string(r.line.lineId) +
                          "  " +
                          CommandLine::oneLine(r.line.product.empty() ? "-" : r.line.product) +
                          "  " + CommandLine::oneLine(shownKey(r.line.category)) + "  " +
                          r.line.orderedAt.substr(0, 10) + "  " + r.entry.kind,
                      CostTotals::of(r.entry)});
    }
    if (!report.by.empty())
      rows.push_back({"  subtotal " + CommandLine::oneLine(shownKey(group.key)), group.totals});
  }
  rows.push_back({"total", report.totals});
  std::size_t width = 0;
  for (const auto& r : rows) width = std::max(width, CommandLine::displayWidth(r.label));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    out << r.label;
    if (i == 0 || r.totals) out << std::string(width - CommandLine::displayWidth(r.label), ' ');
    if (i == 0)
      out << std::setw(13) << "net NOK" << std::setw(13) << "VAT NOK" << std::setw(13)
          << "gross NOK";
    else if (r.totals)
      out << std::setw(13) << formatNok(r.totals->netOre) << std::setw(13)
          << formatNok(r.totals->vatOre()) << std::setw(13) << formatNok(r.totals->grossOre);
    out << "\n";
  }
}

void printCostCsv(const CostReport& report, const CsvStyle& style, std::ostream& out) {
  const char sep = style.norwegian ? ';' : ',';
  const bool comma = style.norwegian;
  if (style.bom) out << "\xEF\xBB\xBF";
  csvRow(out,
         {"group", "order", "line", "product", "productName", "category", "reference", "orderedAt",
          "kind", "status", "net", "vat", "gross"},
         sep);
  const auto amounts = [&](const CostTotals& t) {
    return std::vector<std::string>{amountText(t.netOre, comma), amountText(t.vatOre(), comma),
                                    amountText(t.grossOre, comma)};
  };
  for (const auto& group : report.groups) {
    for (const auto& row : group.rows) {
      std::vector<std::string> fields{group.key,
                                      std::to_string(row.line.orderId),
                                      std::to_string(row.line.lineId),
                                      row.line.product,
                                      row.line.productName,
                                      row.line.category,
                                      row.line.reference,
                                      row.line.orderedAt,
                                      row.entry.kind,
                                      row.entry.status};
      for (auto& a : amounts(CostTotals::of(row.entry))) fields.push_back(std::move(a));
      csvRow(out, fields, sep);
    }
    if (!report.by.empty()) {
      std::vector<std::string> fields{group.key, "", "", "", "", "", "", "", "subtotal", ""};
      for (auto& a : amounts(group.totals)) fields.push_back(std::move(a));
      csvRow(out, fields, sep);
    }
  }
  std::vector<std::string> fields{"", "", "", "", "", "", "", "", "total", ""};
  for (auto& a : amounts(report.totals)) fields.push_back(std::move(a));
  csvRow(out, fields, sep);
}

void printCostJson(const CostReport& report, std::ostream& out) {
  Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
  root.set("by", report.by);
  root.set("total", totalsJson(report.totals));
  Poco::JSON::Array groups;
  for (const auto& group : report.groups) {
    Poco::JSON::Object g(Poco::JSON_PRESERVE_KEY_ORDER);
    g.set("key", group.key);
    g.set("total", totalsJson(group.totals));
    Poco::JSON::Array list;
    for (const auto& row : group.rows) {
      Poco::JSON::Object e(Poco::JSON_PRESERVE_KEY_ORDER);
      e.set("orderId", row.line.orderId);
      e.set("lineId", row.line.lineId);
      e.set("product", row.line.product);
      e.set("productName", row.line.productName);
      e.set("category", row.line.category);
      e.set("reference", row.line.reference);
      e.set("orderedAt", row.line.orderedAt);
      e.set("kind", row.entry.kind);
      e.set("status", row.entry.status);
      e.set("recordedAt", row.entry.recordedAt);
      status::json::setAmounts(e, CostTotals::of(row.entry));
      list.add(e);
    }
    g.set("entries", list);
    groups.add(g);
  }
  root.set("groups", groups);
  root.stringify(out, 2);
  out << "\n";
}

}  // namespace ambita::commands
