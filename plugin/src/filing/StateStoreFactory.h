#pragma once
/// Opens the StateStore the configuration chooses by `state.url` (a top-level key of the host
/// configuration; the password, if any, comes from ${ENV} expansion done by the host):
///   absent / ""              SQLite in `<dataDir>/state.db` (one process, the default)
///   postgresql://user@host:port/database   PostgreSQL (several processes can share it), from
///                            the library loaded only then (PostgresStateLibrary.h)

#include <memory>
#include <string>
#include <utility>

#include "filing/StateStore.h"

namespace ambita::filing {

/// Errors: InvalidArgument naming `state.url` for a scheme that is not postgresql (the rest of
/// the URL is not repeated: it may carry a password); otherwise what the chosen backend's open()
/// reports, for PostgreSQL prefixed with "state.url: " (e.g. a wrong password: "state.url:
/// state database postgresql://user@host:port/db: connecting: ..."), or that its library
/// cannot be loaded or is not this build's (naming the library; see PostgresStateLibrary.h).
dms::Result<std::unique_ptr<StateStore>> openStateStore(const std::string& stateUrl,
                                                        const std::string& dataDir);

/// A backend's opened store as the interface (for callers that open a backend directly).
template <class Store>
dms::Result<std::unique_ptr<StateStore>> asStateStore(dms::Result<std::unique_ptr<Store>> opened) {
  if (!opened) return opened.error();
  return std::unique_ptr<StateStore>(std::move(*opened));
}

}  // namespace ambita::filing
