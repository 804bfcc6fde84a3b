#include "support/PostgresServer.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "support/ChildProcess.h"
#include "support/Loopback.h"

namespace dms::test {
namespace {

const std::string kBinDir = "/usr/lib/postgresql/15/bin";
/// Who runs initdb and postgres when the test runs as root (both refuse root).
const char* kServerUserWhenRoot = "nobody";
constexpr auto kCommandTimeout = std::chrono::seconds(60);

bool runningAsRoot() {
  return ::geteuid() == 0;
}

/// `argv` as the server's user: through runuser when we are root, directly otherwise.
std::vector<std::string> asServerUser(std::vector<std::string> argv) {
  if (!runningAsRoot()) return argv;
  std::vector<std::string> wrapped{"runuser", "-u", kServerUserWhenRoot, "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

/// Gives `path` to the server's user (when we are root) so initdb and postgres can write it.
void giveToServerUser(const std::filesystem::path& path) {
  if (!runningAsRoot()) return;
  const passwd* user = ::getpwnam(kServerUserWhenRoot);
  if (user == nullptr)
    throw std::runtime_error(std::string("PostgresServer: user ") + kServerUserWhenRoot +
                             " is missing (needed to run initdb, which refuses root)");
  if (::chown(path.c_str(), user->pw_uid, user->pw_gid) != 0)
    throw std::runtime_error("PostgresServer: cannot chown " + path.string());
}

void registerConnectorOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
}

}  // namespace

PostgresServer::PostgresServer() {
  if (!std::filesystem::exists(kBinDir + "/initdb"))
    throw std::runtime_error("PostgresServer: " + kBinDir +
                             "/initdb is missing: install the Debian package postgresql-15");
  // The server's user must reach its folder inside ours (mkdtemp makes it 0700).
  std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all |
                                                std::filesystem::perms::group_exec |
                                                std::filesystem::perms::others_exec);
  dataDir_ = (dir_.path() / "data").string();
  logFile_ = (dir_.path() / "server.log").string();
  initialiseCluster();
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) running_ = startOnFreePort();
  if (!running_)
    throw std::runtime_error("PostgresServer: postgres did not start: " + fileTail(logFile_, 2000));
}

PostgresServer::~PostgresServer() {
  stop();
}

void PostgresServer::initialiseCluster() {
  std::filesystem::create_directory(dataDir_);
  giveToServerUser(dataDir_);
  { std::ofstream touch(logFile_); }
  giveToServerUser(logFile_);
  auto result =
      ChildProcess::run(asServerUser({kBinDir + "/initdb", "-D", dataDir_, "-U", kUser,
                                      "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"}),
                        {}, dir_.path(), kCommandTimeout);
  if (result.exitCode != 0)
    throw std::runtime_error("PostgresServer: initdb failed: " + result.out + result.err);
  // Loopback TCP only; the Unix socket stays in our folder; nothing of it needs to survive.
  std::ofstream conf(dataDir_ + "/postgresql.conf", std::ios::app);
  conf << "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '" << dataDir_
       << "'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
          "max_connections = 50\nshared_buffers = 16MB\n";
}

bool PostgresServer::startOnFreePort() {
  port_ = freeLoopbackPort();
  auto result = ChildProcess::run(
      asServerUser({kBinDir + "/pg_ctl", "start", "-w", "-t", "60", "-D", dataDir_, "-l", logFile_,
                    "-o", "-p " + std::to_string(port_)}),
      {}, dir_.path(), kCommandTimeout + std::chrono::seconds(10));
  return result.exitCode == 0;
}

void PostgresServer::stop() noexcept {
  if (!running_) return;
  running_ = false;
  try {
    ChildProcess::run(asServerUser({kBinDir + "/pg_ctl", "stop", "-w", "-t", "30", "-m",
                                    "immediate", "-D", dataDir_}),
                      {}, dir_.path(), kCommandTimeout);
  } catch (...) {  // NOLINT: a destructor must not throw; TempDir still removes the folder
  }
}

void PostgresServer::restart() {
  auto result = ChildProcess::run(
      asServerUser({kBinDir + "/pg_ctl", "restart", "-w", "-t", "60", "-m", "fast", "-D", dataDir_,
                    "-l", logFile_, "-o", "-p " + std::to_string(port_)}),
      {}, dir_.path(), kCommandTimeout + std::chrono::seconds(10));
  if (result.exitCode != 0)
    throw std::runtime_error("PostgresServer: restart failed: " + result.out + result.err +
                             fileTail(logFile_, 2000));
}

std::string PostgresServer::connectionString(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + kUser + " dbname=" + database;
}

void PostgresServer::runAsSuperuser(const std::string& database, const std::string& sql,
                                    const std::string& what) const {
  try {
    registerConnectorOnce();
    Poco::Data::Session admin("PostgreSQL", connectionString(database));
    admin << sql, Poco::Data::Keywords::now;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("PostgresServer: " + what + " failed: " + e.displayText());
  }
}

std::string PostgresServer::createDatabase() {
  const std::string name = "dms_test_" + std::to_string(++databasesCreated_);
  runAsSuperuser("postgres", "CREATE DATABASE " + name, "CREATE DATABASE " + name);
  return "postgresql://" + std::string(kUser) + "@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

std::string PostgresServer::createDatabaseWithPassword(const std::string& user,
                                                       const std::string& password) {
  const auto plain = [](const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
  };
  if (!plain(user) || !plain(password))
    throw std::invalid_argument("PostgresServer: user and password must be letters, digits, -, _");
  // pg_hba.conf takes the first line that matches: this one, before initdb's trust lines.
  const std::string hbaFile = dataDir_ + "/pg_hba.conf";
  std::ifstream in(hbaFile);
  const std::string rules((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  std::ofstream out(hbaFile, std::ios::trunc);  // as root the file keeps its owner
  out << "host all \"" << user << "\" 127.0.0.1/32 scram-sha-256\n" << rules;
  out.close();
  if (!out) throw std::runtime_error("PostgresServer: cannot write " + hbaFile);
  runAsSuperuser("postgres", "CREATE ROLE \"" + user + "\" LOGIN PASSWORD '" + password + "'",
                 "CREATE ROLE " + user);
  runAsSuperuser("postgres", "SELECT pg_reload_conf()", "reloading pg_hba.conf");
  const std::string name = "dms_test_" + std::to_string(++databasesCreated_);
  runAsSuperuser("postgres", "CREATE DATABASE " + name + " OWNER \"" + user + "\"",
                 "CREATE DATABASE " + name);
  return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

}  // namespace dms::test
