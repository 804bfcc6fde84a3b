// Issue 15 (branch pglazy): the PostgreSQL state store is a library of its own
// (modules/dms-plugin-ambita.d/state-postgresql.so), which the plugin loads only when state.url
// names PostgreSQL: the plugin module itself does not pull in libpq and the libraries behind it,
// and dms-host with a plugin whose library is missing still works with SQLite but refuses a
// PostgreSQL state, naming the library it looked for beside the plugin's own file.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "E2eWorld.h"
#include "support/ChildProcess.h"

namespace dms::e2e {
namespace {

const std::filesystem::path kModules = DMS_MODULE_DIR;

/// `ldd file`: every library the dynamic loader would load with it, directly or not.
std::string librariesLoadedWith(const std::filesystem::path& file) {
  auto result =
      test::ChildProcess::run({"ldd", file.string()}, {}, kModules, std::chrono::seconds(60));
  EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
  return result.out;
}

TEST(PostgresLibraryE2eTest, ThePluginModuleLoadsNoPostgresqlLibraryOnlyTheStateLibraryDoes) {
  const std::string plugin = librariesLoadedWith(kModules / "dms-plugin-ambita.so");
  for (const std::string postgres : {"libpq", "PostgreSQL"})
    EXPECT_EQ(plugin.find(postgres), std::string::npos) << postgres << " in\n" << plugin;
  // Not vacuous: the state library does need them (and the plugin's own Poco::Data).
  const std::string state =
      librariesLoadedWith(kModules / "dms-plugin-ambita.d" / "state-postgresql.so");
  EXPECT_NE(state.find("libPocoDataPostgreSQL"), std::string::npos) << state;
  EXPECT_NE(state.find("libpq"), std::string::npos) << state;
  EXPECT_NE(plugin.find("libPocoData"), std::string::npos) << plugin;
}

TEST(PostgresLibraryE2eTest,
     WithoutItsStateLibraryThePluginWorksWithSqliteAndNamesItForPostgresql) {
  E2eWorld world;
  // The modules without the plugin's dms-plugin-ambita.d folder.
  const auto modules = world.workDir() / "modules-without-state-library";
  std::filesystem::create_directories(modules);
  for (const std::string module : {"dms-plugin-ambita.so", "dms-connector-filesystem.so"})
    std::filesystem::copy_file(kModules / module, modules / module);
  world.setModules(modules);

  auto sqlite = world.host({"status"});
  EXPECT_EQ(sqlite.exitCode, 0) << sqlite.out << sqlite.err;

  // Nothing listens on port 1: the library is looked for before any connection is tried.
  world.setStateUrl("postgresql://dms:pw-Lq7-secret@127.0.0.1:1/ambita");
  auto postgres = world.host({"status"});
  EXPECT_NE(postgres.exitCode, 0) << postgres.out << postgres.err;
  const std::string output = postgres.out + postgres.err;
  const auto library = modules / "dms-plugin-ambita.d" / "state-postgresql.so";
  EXPECT_NE(output.find("state.url names PostgreSQL, whose state store is in " + library.string() +
                        ", which cannot be loaded"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("pw-Lq7-secret"), std::string::npos) << output;
}

}  // namespace
}  // namespace dms::e2e
