#pragma once
/// Where a PostgreSQL state lives, parsed from `state.url`. Apart from PostgresStateStore (which
/// is in the library the plugin loads only for PostgreSQL) because the plugin also names the
/// state in its messages, without a password, whatever the backend.

#include <string>

#include "dms/Error.h"

namespace ambita::filing {

/// Where a PostgreSQL state lives, from `state.url`.
struct PostgresLocation {
  std::string host;
  int port = 5432;
  std::string user;
  std::string password;  ///< from the URL (after ${ENV} expansion); never printed
  std::string database;
  /// libpq's connect_timeout in connectionString().
  static constexpr int kConnectTimeoutSeconds = 10;

  /// postgresql://user@host:port/database, without the password (for messages).
  std::string display() const;
  /// libpq key=value form for Poco's connector (with the password).
  std::string connectionString() const;

  /// Parses postgresql://user[:password]@host[:port]/database. InvalidArgument naming the part
  /// that is wrong (never echoing the password).
  static dms::Result<PostgresLocation> parse(const std::string& url);
};

}  // namespace ambita::filing
