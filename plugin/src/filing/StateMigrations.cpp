#include "filing/StateMigrations.h"

namespace ambita::filing {
namespace {

/// Written once with two placeholders for what the dialects spell differently:
///   {int}     an integer column: INTEGER in SQLite (64-bit anyway), BIGINT in PostgreSQL
///   {serial}  a store-assigned sequence number key: INTEGER PRIMARY KEY AUTOINCREMENT in
///             SQLite, BIGSERIAL PRIMARY KEY in PostgreSQL
/// The SQLite text after substitution is exactly what released plugins applied.
const std::vector<std::vector<std::string>> kPortableMigrations{
    // 1: orders, assets, push inbox, audit log
    {"CREATE TABLE orders (id {int} PRIMARY KEY, origin TEXT NOT NULL, "
     "reference TEXT NOT NULL DEFAULT '', technical_reference TEXT NOT NULL DEFAULT '', "
     "cadastre TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '', "
     "status TEXT NOT NULL DEFAULT '', tracked_at TEXT NOT NULL, "
     "checked_at TEXT NOT NULL DEFAULT '', finished_at TEXT NOT NULL DEFAULT '')",
     "CREATE TABLE assets (asset_id TEXT PRIMARY KEY, order_id {int} NOT NULL, "
     "supplier_order_id {int} NOT NULL DEFAULT 0, order_line_id {int} NOT NULL DEFAULT 0, "
     "remote_status TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '', "
     "state TEXT NOT NULL, path TEXT NOT NULL DEFAULT '', target_path TEXT NOT NULL DEFAULT '', "
     "size {int} NOT NULL DEFAULT 0, sha256 TEXT NOT NULL DEFAULT '', "
     "filed_at TEXT NOT NULL DEFAULT '', removed_at TEXT NOT NULL DEFAULT '', "
     "last_error TEXT NOT NULL DEFAULT '')",
     "CREATE TABLE inbox (seq {serial}, order_id {int} NOT NULL, "
     "status TEXT NOT NULL DEFAULT '', reference TEXT NOT NULL DEFAULT '', "
     "technical_reference TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT 'push', "
     "received_at TEXT NOT NULL, attempts {int} NOT NULL DEFAULT 0, "
     "not_before {int} NOT NULL DEFAULT 0)",
     "CREATE TABLE audit (seq {serial}, time TEXT NOT NULL, "
     "order_id {int} NOT NULL, asset_id TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, "
     "reason TEXT NOT NULL, path TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '')"},
    // 2: failed-attempt counter per asset; indexes for the per-order and per-path queries
    {"ALTER TABLE assets ADD COLUMN attempts {int} NOT NULL DEFAULT 0",
     "CREATE INDEX assets_by_order ON assets(order_id)",
     "CREATE INDEX assets_by_state ON assets(state)", "CREATE INDEX assets_by_path ON assets(path)",
     "CREATE INDEX inbox_by_order ON inbox(order_id)",
     "CREATE INDEX audit_by_order ON audit(order_id)"},
    // 3: the API the state belongs to; why and since when an inbox order keeps failing;
    // per-asset retry backoff
    {"CREATE TABLE api_identity (id {int} PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL, "
     "client_id TEXT NOT NULL, recorded_at TEXT NOT NULL)",
     "ALTER TABLE inbox ADD COLUMN first_failure {int} NOT NULL DEFAULT 0",
     "ALTER TABLE inbox ADD COLUMN last_error TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE assets ADD COLUMN not_before {int} NOT NULL DEFAULT 0"},
    // 4: how long an inbox order has been failing, counted so that a clock jump cannot make
    // it give up early
    {"ALTER TABLE inbox ADD COLUMN last_failure {int} NOT NULL DEFAULT 0",
     "ALTER TABLE inbox ADD COLUMN failing_seconds {int} NOT NULL DEFAULT 0"},
    // 5: cost ledger (issue 12): each order line's description, and its charges and credits in
    // øre (only ever appended)
    {"CREATE TABLE ledger_lines (order_id {int} NOT NULL, line_id {int} NOT NULL, "
     "supplier_order_id {int} NOT NULL DEFAULT 0, product TEXT NOT NULL DEFAULT '', "
     "product_name TEXT NOT NULL DEFAULT '', category TEXT NOT NULL DEFAULT '', "
     "reference TEXT NOT NULL DEFAULT '', ordered_at TEXT NOT NULL DEFAULT '', "
     "status TEXT NOT NULL DEFAULT '', PRIMARY KEY (order_id, line_id))",
     "CREATE TABLE ledger_entries (seq {serial}, order_id {int} NOT NULL, "
     "line_id {int} NOT NULL, kind TEXT NOT NULL, net_ore {int} NOT NULL, "
     "gross_ore {int} NOT NULL, status TEXT NOT NULL DEFAULT '', recorded_at TEXT NOT NULL)",
     "CREATE INDEX ledger_entries_by_order ON ledger_entries(order_id)"},
    // 6: status as data: who asked for an audited action (--actor); the status listing pages
    // newest tracked first, and finds failed assets, through indexes
    {"ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT ''",
     "CREATE INDEX orders_by_tracked ON orders(tracked_at, id)",
     "CREATE INDEX assets_by_state_order ON assets(state, order_id)"},
    // 7: document events (issue 10): the outbox, written in the transaction of the change each
    // event reports, read per order in seq order
    {"CREATE TABLE events (seq {serial}, event_id TEXT NOT NULL, order_id {int} NOT NULL, "
     "asset_id TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL, path TEXT NOT NULL DEFAULT '', "
     "previous_path TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}', "
     "detail TEXT NOT NULL DEFAULT '', time TEXT NOT NULL, attempts {int} NOT NULL DEFAULT 0, "
     "not_before {int} NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '')",
     "CREATE INDEX events_by_order ON events(order_id, seq)"},
    // 8: whole-table loads (issue 15, branch scalerest): verify asks per file found whether a
    // moved asset went there, through an index instead of holding every moved path
    {"CREATE INDEX assets_by_target_path ON assets(target_path)"},
    // 9: first-sync CPU per file (issue 15, branch commitcpu): assets_by_state(state) leads
    // assets_by_state_order(state, order_id), which serves every query by state as well; each
    // asset written (twice a filed file) paid for both
    {"DROP INDEX IF EXISTS assets_by_state"},
};

void replaceAll(std::string& text, const std::string& token, const std::string& with) {
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at + with.size()))
    text.replace(at, token.size(), with);
}

std::vector<std::vector<std::string>> inDialect(SqlDialect dialect) {
  const bool sqlite = dialect == SqlDialect::Sqlite;
  auto list = kPortableMigrations;
  for (auto& migration : list) {
    for (auto& sql : migration) {
      replaceAll(sql, "{serial}",
                 sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY");
      replaceAll(sql, "{int}", sqlite ? "INTEGER" : "BIGINT");
    }
  }
  return list;
}

}  // namespace

const std::vector<std::vector<std::string>>& stateMigrations(SqlDialect dialect) {
  // Checked once by the tests (every backend reports kStateSchemaVersion after open).
  static const auto sqlite = inDialect(SqlDialect::Sqlite);
  static const auto postgres = inDialect(SqlDialect::Postgres);
  return dialect == SqlDialect::Sqlite ? sqlite : postgres;
}

}  // namespace ambita::filing
