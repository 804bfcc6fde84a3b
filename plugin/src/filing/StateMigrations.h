#pragma once
/// The state's versioned schema, one list for every SQL backend: migration N (1-based) brings a
/// state from version N-1 to N, in one transaction, recorded in table schema_migrations.
/// Never edit a released migration: append a new one (an older state upgrades step by step).

#include <string>
#include <vector>

namespace ambita::filing {

/// The newest schema version this code knows: the number of migrations.
inline constexpr int kStateSchemaVersion = 9;

enum class SqlDialect { Sqlite, Postgres };

/// Every migration's statements in `dialect`.
const std::vector<std::vector<std::string>>& stateMigrations(SqlDialect dialect);

}  // namespace ambita::filing
