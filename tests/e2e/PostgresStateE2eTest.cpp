// Issue 11, first slice: dms-host hands the top-level `state.url` to the plugin
// (HostServices::stateUrl), whose state then lives in PostgreSQL (a throwaway server,
// tests/support/PostgresServer) instead of <dataDir>/state.db. The database's role has a
// password (scram-sha-256), given as ${E2E_STATE_PASSWORD}: it never shows in any output.
#include <gtest/gtest.h>

#include <Poco/Data/Session.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "E2eWorld.h"
#include "ExpectedArchive.h"
#include "support/PostgresServer.h"

namespace dms::e2e {
namespace {

constexpr const char* kStateUser = "dms";
constexpr const char* kStatePassword = "e2e-state-password-R5tN2c";
constexpr const char* kPasswordVariable = "E2E_STATE_PASSWORD";

/// postgresql://dms@127.0.0.1:P/db -> postgresql://dms:<password>@127.0.0.1:P/db
std::string withPassword(const std::string& url, const std::string& password) {
  const std::string user = std::string("://") + kStateUser + "@";
  const auto at = url.find(user);
  return url.substr(0, at) + "://" + kStateUser + ":" + password + "@" +
         url.substr(at + user.size());
}

/// The URL with the password as the ${E2E_STATE_PASSWORD} reference.
std::string withPasswordReference(const std::string& url) {
  return withPassword(url, std::string("${") + kPasswordVariable + "}");
}

std::string databaseOf(const std::string& url) {
  return url.substr(url.rfind('/') + 1);
}

/// Every file named state.db under `folder` (SQLite state the plugin should not have made).
std::vector<std::string> sqliteStatesUnder(const std::filesystem::path& folder) {
  std::vector<std::string> found;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error))
    if (it->path().filename() == "state.db") found.push_back(it->path().string());
  return found;
}

/// `dms-host args...` with `world`'s configuration but the data folder `dataDir`: another host
/// sharing the database and the target.
test::ChildResult hostWithDataDir(const E2eWorld& world, const std::filesystem::path& dataDir,
                                  const std::vector<std::string>& args) {
  return world.startHost(args, world.writeHostConfig("other-host", dataDir))
      ->wait(std::chrono::seconds(90));
}

/// A sandbox world whose state.url names a fresh database on `server`, reached as kStateUser
/// with the password from the environment variable kPasswordVariable.
struct PostgresWorld {
  test::PostgresServer server;
  std::string url = server.createDatabaseWithPassword(kStateUser, kStatePassword);
  E2eWorld world;

  explicit PostgresWorld(const std::string& passwordInEnvironment) {
    world.setEnv(kPasswordVariable, passwordInEnvironment);
    world.setStateUrl(withPasswordReference(url));
  }
  std::string hostAndPort() const { return "127.0.0.1:" + std::to_string(server.port()); }
};

// An order placed and synced by one dms-host process is in PostgreSQL, not in the data
// folder; `status` and `verify`, processes of another host (another data folder), read the
// same state.
TEST(PostgresStateE2eTest, SyncFilesIntoTheDatabaseAndOtherProcessesSeeTheSameState) {
  PostgresWorld pg(kStatePassword);
  auto& world = pg.world;
  auto& sandbox = world.sandbox();
  const auto order = world.placeOrder("oppdrag-pg-1", "sak-pg-1");
  sandbox.step(order, 0);  // the whole script: every file delivered, the order FINISHED

  auto sync = world.host({"sync"});
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;
  auto problems = archiveDifferences(world.archive(), sandbox, {order});
  EXPECT_TRUE(problems.empty()) << describe(problems);
  const auto expected = ExpectedArchive::fromSandbox(sandbox, {order}).assets().size();
  ASSERT_GT(expected, 0u);

  EXPECT_TRUE(sqliteStatesUnder(world.dataDir()).empty())
      << "a SQLite state was made: " << sqliteStatesUnder(world.dataDir()).front();
  // The state really is in the database (read directly, as the superuser).
  Poco::Data::Session direct("PostgreSQL", pg.server.connectionString(databaseOf(pg.url)));
  std::size_t filedRows = 0;
  direct << "SELECT COUNT(*) FROM assets WHERE state = 'filed'",
      Poco::Data::Keywords::into(filedRows), Poco::Data::Keywords::now;
  EXPECT_EQ(filedRows, expected);

  const auto otherDataDir = world.workDir() / "other-host-data";
  auto status = hostWithDataDir(world, otherDataDir, {"status", std::to_string(order)});
  EXPECT_EQ(status.exitCode, 0) << status.err;
  EXPECT_NE(status.out.find("order " + std::to_string(order)), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("assets:    " + std::to_string(expected)), std::string::npos)
      << status.out;
  auto verify = hostWithDataDir(world, otherDataDir, {"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("verify: " + std::to_string(expected) +
                            " ok, 0 missing, 0 changed, 0 orphaned"),
            std::string::npos)
      << verify.out;
  EXPECT_TRUE(sqliteStatesUnder(otherDataDir).empty());

  const std::string output =
      sync.out + sync.err + status.out + status.err + verify.out + verify.err;
  EXPECT_EQ(output.find(kStatePassword), std::string::npos) << "the password shows: " << output;
  // The plugin is a guest: the database's chatter (libpq prints NOTICEs on stderr) stays out.
  EXPECT_EQ(output.find("NOTICE:"), std::string::npos) << output;
}

// A database holds the state of one Ambita API: a host configured for another one (another
// sandbox) is refused, naming the database (not its data folder, where no state is).
TEST(PostgresStateE2eTest, ADatabaseOfAnotherApiIsRefusedNamingTheDatabase) {
  PostgresWorld pg(kStatePassword);
  pg.world.placeOrder("oppdrag-pg-2", "sak-pg-2");  // records the first sandbox in the state
  E2eWorld other;
  other.setEnv(kPasswordVariable, kStatePassword);
  other.setStateUrl(withPasswordReference(pg.url));
  auto refused = other.host({"status"});
  EXPECT_NE(refused.exitCode, 0) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("the state in " + pg.url + " was made for the Ambita API " +
                             pg.world.sandbox().baseUrl()),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find(kStatePassword), std::string::npos) << refused.err;
}

// `config show` names the database but masks the password; a wrong password stops every
// command with an error naming state.url and host:port, never either password.
TEST(PostgresStateE2eTest, ThePasswordIsMaskedAndAWrongOneIsNamedByKeyAndHost) {
  const std::string wrongPassword = "wrong-state-password-Lm3Q";
  PostgresWorld pg(wrongPassword);
  auto& world = pg.world;

  auto shown = world.host({"config", "show"});
  EXPECT_EQ(shown.exitCode, 0) << shown.out << shown.err;
  EXPECT_NE(shown.out.find(std::string(kStateUser) + ":********@" + pg.hostAndPort()),
            std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find(databaseOf(pg.url)), std::string::npos) << shown.out;
  EXPECT_EQ((shown.out + shown.err).find(wrongPassword), std::string::npos) << shown.out;

  const std::vector<std::vector<std::string>> commands = {
      {"status"}, {"sync"}, {"config", "check"}};
  for (const auto& command : commands) {
    auto refused = world.host(command);
    const std::string output = refused.out + refused.err;
    EXPECT_NE(refused.exitCode, 0) << command.front() << ": " << output;
    EXPECT_NE(output.find("state.url"), std::string::npos) << output;
    EXPECT_NE(output.find(pg.hostAndPort()), std::string::npos) << output;
    EXPECT_NE(output.find("password authentication failed"), std::string::npos) << output;
    EXPECT_EQ(output.find(wrongPassword), std::string::npos) << output;
    EXPECT_EQ(output.find(kStatePassword), std::string::npos) << output;
  }
  EXPECT_TRUE(sqliteStatesUnder(world.dataDir()).empty());

  // A password written in the file itself is masked too, with a warning asking for ${ENV}.
  world.setStateUrl(withPassword(pg.url, wrongPassword));
  auto literal = world.host({"config", "show"});
  EXPECT_EQ(literal.exitCode, 0) << literal.out << literal.err;
  EXPECT_NE(literal.err.find("warning: state.url: password written in the file itself"),
            std::string::npos)
      << literal.err;
  EXPECT_NE(literal.out.find(std::string(kStateUser) + ":********@" + pg.hostAndPort()),
            std::string::npos)
      << literal.out;
  EXPECT_EQ((literal.out + literal.err).find(wrongPassword), std::string::npos)
      << literal.out << literal.err;
}

}  // namespace
}  // namespace dms::e2e
