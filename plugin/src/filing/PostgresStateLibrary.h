#pragma once
/// The PostgreSQL state store lives in a library of its own, state-postgresql.so in the folder
/// dms-plugin-ambita.d beside the plugin's file (plugin/PostgresStateLibrary.cmake), which the
/// plugin loads only when state.url names PostgreSQL: libpq and the ~40 libraries it pulls in
/// (Kerberos, LDAP, GnuTLS, SASL) cost every process that loads them time at start, and SQLite,
/// the default, needs none of them.
///
/// The boundary: two extern "C" functions (PostgresStateEntry.cpp), looked up by name.
///   dms_ambita_postgres_state_abi()        the library's ABI stamp; checked first
///   dms_ambita_postgres_state_open(url, r) opens the store at url into r; never throws
/// C++ types (std::string, dms::Result, StateStore) cross it: both sides come from the same
/// build tree, compiler and flags, which the ABI stamp (a hash of the headers of those types and
/// of the compiler and flags, kPostgresStateLibraryAbi) makes sure of before anything is called.
/// Nothing is thrown across it: the library catches everything and returns an Error.
///
/// Lifetime: the library is loaded with RTLD_NODELETE and so stays loaded for the rest of the
/// process, like libpq, which it links: Poco's process-wide SessionFactory keeps the PostgreSQL
/// connector it registered, and libpq/GnuTLS/Kerberos keep thread-local and atexit state that
/// must not be unmapped. So it is never unloaded while a store it made exists, and the plugin
/// keeps no handle or other global of its own: each open looks the library up again (the
/// dynamic loader hands back the loaded one).

#include <filesystem>
#include <memory>
#include <string>

#include "filing/StateStore.h"

namespace ambita::filing {

using OpenedStateStore = dms::Result<std::unique_ptr<StateStore>>;
/// The signatures of the library's two entry points.
using PostgresStateAbiFunction = const char* (*)() noexcept;
using PostgresStateOpenFunction = void (*)(const std::string& url,
                                           OpenedStateStore& result) noexcept;

/// <folder of the file this code is in>/dms-plugin-ambita.d/state-postgresql.so: the plugin
/// module's own folder (not the current directory); for a test program linking the plugin's
/// code, the program's folder (tests/filing puts a copy there).
std::filesystem::path postgresStateLibraryPath();

/// Loads `library`, checks it is this build's PostgreSQL state library and opens the store at
/// `url` through it. Errors: Unavailable naming the library and the loader's reason (a missing
/// file, a missing libpq) when it cannot be loaded; NotSupported naming it when it is not the
/// PostgreSQL state library or comes from another build (both stamps); otherwise what
/// PostgresStateStore::open reports.
OpenedStateStore openPostgresStateThrough(const std::filesystem::path& library,
                                          const std::string& url);

}  // namespace ambita::filing
