#include "filing/StateStoreFactory.h"

#include <algorithm>
#include <cctype>

#include "filing/PostgresStateLibrary.h"
#include "filing/SqliteStateStore.h"

namespace ambita::filing {
namespace {

/// A scheme as URLs spell it (RFC 3986); anything else is not echoed (it may be a password).
bool looksLikeScheme(const std::string& text) {
  if (text.empty() || text.size() > 20 || !std::isalpha(static_cast<unsigned char>(text[0])))
    return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

}  // namespace

dms::Result<std::unique_ptr<StateStore>> openStateStore(const std::string& stateUrl,
                                                        const std::string& dataDir) {
  if (stateUrl.empty()) return asStateStore(SqliteStateStore::open(dataDir + "/state.db"));
  const auto schemeEnd = stateUrl.find("://");
  std::string scheme = schemeEnd == std::string::npos ? "" : stateUrl.substr(0, schemeEnd);
  if (!looksLikeScheme(scheme)) scheme.clear();
  if (scheme == "postgresql" || scheme == "postgres") {
    // The PostgreSQL store is in a library of its own, loaded only now (PostgresStateLibrary.h).
    auto opened = openPostgresStateThrough(postgresStateLibraryPath(), stateUrl);
    if (opened) return std::move(*opened);
    // The administrator fixes a wrong password or host in state.url: every error names the key
    // (the backend's own messages name the database, without its password).
    dms::Error error = opened.error();
    if (!error.message.starts_with("state.url")) error.message = "state.url: " + error.message;
    return error;
  }
  return dms::fail(
      dms::ErrorCode::InvalidArgument,
      "state.url: " +
          (scheme.empty() ? std::string("not a URL") : "scheme '" + scheme + "' is not supported") +
          " (expected postgresql://user@host:port/database, or no state.url for "
          "SQLite in the data folder)");
}

}  // namespace ambita::filing
