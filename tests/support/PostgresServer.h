#pragma once
/// A throwaway PostgreSQL 15 from Debian's `postgresql-15` package for tests: `initdb` into a
/// fresh temp folder, `pg_ctl start` listening on 127.0.0.1 at a free port only (no Unix socket
/// outside the temp folder, the distro's own cluster is never used), trust authentication for
/// the superuser `postgres`, fsync off (test data is thrown away). The destructor stops it
/// (`pg_ctl stop -m immediate`) and removes the folder.
///
/// initdb and postgres refuse to run as root: when the test runs as root they run as `nobody`
/// (through `runuser`), and the data folder belongs to that user.
///
/// A missing binary or a server that does not come up throws std::runtime_error naming the
/// Debian package, with the tail of the server's log (a test failure, never a skip).

#include <memory>
#include <string>

#include "support/TempDir.h"

namespace dms::test {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  /// The superuser every database belongs to (trust authentication on loopback).
  static constexpr const char* kUser = "postgres";

  /// Creates a new, empty database with a unique name and returns its URL,
  /// postgresql://postgres@127.0.0.1:<port>/<name>. Throws std::runtime_error.
  std::string createDatabase();

  /// Creates the login role `user` with `password` (scram-sha-256: only that password lets it
  /// in, unlike the trust of kUser) and a new database it owns; returns the database's URL
  /// without the password, postgresql://<user>@127.0.0.1:<port>/<name>. `user` and `password`
  /// are letters, digits, '-' and '_' only. Throws std::runtime_error.
  std::string createDatabaseWithPassword(const std::string& user, const std::string& password);

  /// Stops the server (fast shutdown: every connection is cut) and starts it again on the same
  /// port and data, as a database restart in production would. Throws std::runtime_error.
  void restart();

  /// A libpq key=value connection string for `database` (Poco's PostgreSQL connector form).
  std::string connectionString(const std::string& database) const;

 private:
  void initialiseCluster();
  bool startOnFreePort();
  void stop() noexcept;
  /// Runs `sql` in the database `database` as kUser. Throws std::runtime_error naming `what`.
  void runAsSuperuser(const std::string& database, const std::string& sql,
                      const std::string& what) const;

  TempDir dir_{"dms-postgres"};
  std::string dataDir_;
  std::string logFile_;
  int port_ = 0;
  bool running_ = false;
  int databasesCreated_ = 0;
};

}  // namespace dms::test
