// The entry points of state-postgresql.so, the PostgreSQL state library the plugin loads only
// when state.url names PostgreSQL (PostgresStateLibrary.h describes the boundary). Exported by
// PostgresStateLibrary.map; nothing else of the library is visible.
#include <exception>
#include <string>
#include <type_traits>

#include "filing/PostgresStateLibrary.h"
#include "filing/PostgresStateLibraryAbi.h"
#include "filing/PostgresStateStore.h"
#include "filing/StateStoreFactory.h"

extern "C" {

/// This build's ABI stamp, which the plugin compares with its own before calling anything else.
__attribute__((visibility("default"))) const char* dms_ambita_postgres_state_abi() noexcept {
  return ambita::filing::kPostgresStateLibraryAbi;
}

/// Opens the PostgreSQL state at `url` into `result`. Never throws: an exception would cross a
/// library boundary, so whatever escapes the store becomes an Internal error.
__attribute__((visibility("default"))) void dms_ambita_postgres_state_open(
    const std::string& url, ambita::filing::OpenedStateStore& result) noexcept {
  try {
    result = ambita::filing::asStateStore(ambita::filing::PostgresStateStore::open(url));
  } catch (const std::exception& e) {
    result = dms::fail(dms::ErrorCode::Internal,
                       std::string("PostgreSQL state library: opening failed: ") + e.what());
  } catch (...) {
    result = dms::fail(dms::ErrorCode::Internal,
                       "PostgreSQL state library: opening failed with an unknown exception");
  }
}

}  // extern "C"

// The signatures the plugin calls them by (PostgresStateLibrary.h): a mismatch does not compile.
static_assert(std::is_same_v<decltype(&dms_ambita_postgres_state_abi),
                             ambita::filing::PostgresStateAbiFunction>);
static_assert(std::is_same_v<decltype(&dms_ambita_postgres_state_open),
                             ambita::filing::PostgresStateOpenFunction>);
