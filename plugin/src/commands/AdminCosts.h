#pragma once
/// The costs report (issue 12) over the cost ledger (filing/CostLedger.h): which entries a
/// query selects, how they group, and the three ways to print them (a table for a person, CSV
/// for a spreadsheet, JSON for a program). Amounts are integer øre throughout; VAT is gross
/// minus net. Pure: the caller reads the ledger from the state.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "dms/Error.h"
#include "filing/CostLedger.h"
#include "filing/StateStore.h"

namespace ambita::commands {

/// What `costs` was asked for. Dates are "YYYY-MM-DD", inclusive, on the order's date.
struct CostQuery {
  std::optional<std::string> reference;
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::string by;  ///< "", "reference", "category", "product" or "month"
};

/// "YYYY-MM-DD" that is a real calendar date, or InvalidArgument naming `flag`.
dms::Status checkReportDate(const std::string& flag, const std::string& text);

struct CostRow {
  filing::LedgerLine line;
  filing::LedgerEntry entry;
};

using filing::CostTotals;

struct CostGroup {
  std::string key;  ///< the reference, category, product or month ("" without --by)
  CostTotals totals;
  std::vector<CostRow> rows;  ///< by order date, order, line, then as recorded
};

struct CostReport {
  std::string by;
  std::vector<CostGroup> groups;  ///< by key
  CostTotals totals;
};

/// Selects the entries of `query` and groups them (an entry whose line is unknown is kept,
/// described by its order and line only): selectCostRows, then groupCostRows.
CostReport buildCostReport(const std::vector<filing::LedgerLine>& lines,
                           const std::vector<filing::LedgerEntry>& entries, const CostQuery& query);
/// Appends to `rows` the entries of `query` with their lines (one page of the ledger: an
/// entry's line is in the same page, StateStore::ledgerOfOrdersAfter).
void selectCostRows(const std::vector<filing::LedgerLine>& lines,
                    const std::vector<filing::LedgerEntry>& entries, const CostQuery& query,
                    std::vector<CostRow>& rows);
/// Sorts `rows` (by order date, order, line, then as recorded: whatever order the pages came
/// in) and groups them.
CostReport groupCostRows(std::vector<CostRow> rows, const CostQuery& query);

/// How CSV is written: `norwegian` = semicolon separator and decimal comma (what a spreadsheet
/// in a Norwegian locale opens as columns and numbers); `bom` = a UTF-8 byte-order mark first
/// (so Excel reads æøå as UTF-8).
struct CsvStyle {
  bool norwegian = false;
  bool bom = false;
};

/// A table: each group's entries and subtotal, then the total (NOK).
void printCostTable(const CostReport& report, std::ostream& out);
/// RFC 4180 CSV (CRLF line ends, fields quoted when they hold the separator, a quote or a line
/// break): a header, one row per entry, one "subtotal" row per group (with --by) and a "total"
/// row; amounts in NOK with two decimals.
void printCostCsv(const CostReport& report, const CsvStyle& style, std::ostream& out);
/// JSON: {"by", "total", "groups": [{"key", "total", "entries": [...]}]}; every amount is given
/// twice: in øre as an integer ("netOre", "vatOre", "grossOre") and as an exact decimal NOK
/// string ("net", "vat", "gross").
void printCostJson(const CostReport& report, std::ostream& out);

}  // namespace ambita::commands
