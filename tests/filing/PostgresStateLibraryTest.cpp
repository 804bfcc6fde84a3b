// The PostgreSQL state store in a library of its own, loaded only when state.url names
// PostgreSQL (issue 15, branch pglazy; plugin/src/filing/PostgresStateLibrary.h): found beside
// the code that loads it, refused with a clear error when missing, foreign or from another build.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "filing/PostgresStateLibrary.h"
#include "filing/StateStoreFactory.h"
#include "support/TempDir.h"

namespace ambita::filing {
namespace {

// A URL whose password must appear in no error; port 1 on loopback: nothing is listening.
const std::string kUrl = "postgresql://dms:pw-9xQ-secret@127.0.0.1:1/ambita";

std::filesystem::path thisProgram() {
  return std::filesystem::read_symlink("/proc/self/exe");
}

TEST(PostgresStateLibrary, IsLookedForBesideTheFileOfTheCodeThatLoadsItNotInTheCurrentFolder) {
  const auto expected = thisProgram().parent_path() / "dms-plugin-ambita.d" / "state-postgresql.so";
  EXPECT_EQ(postgresStateLibraryPath(), expected);
  EXPECT_TRUE(std::filesystem::exists(expected)) << expected;
}

TEST(PostgresStateLibrary, AMissingLibraryIsNamedWithTheLoadersReason) {
  dms::test::TempDir tmp;
  const auto missing = tmp.path() / "dms-plugin-ambita.d" / "state-postgresql.so";
  auto store = openPostgresStateThrough(missing, kUrl);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, dms::ErrorCode::Unavailable);
  const std::string& message = store.error().message;
  EXPECT_NE(message.find("state.url names PostgreSQL"), std::string::npos) << message;
  EXPECT_NE(message.find(missing.string() + ", which cannot be loaded"), std::string::npos)
      << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
  EXPECT_EQ(message.find("pw-9xQ"), std::string::npos) << message;
}

TEST(PostgresStateLibrary, ALibraryFromAnotherBuildIsRefusedBeforeAnythingOfItIsCalled) {
  // The stale library's open() aborts the process: reaching it fails the whole test program.
  auto store = openPostgresStateThrough(DMS_TEST_STALE_STATE_LIBRARY, kUrl);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, dms::ErrorCode::NotSupported);
  const std::string& message = store.error().message;
  EXPECT_NE(message.find(std::string(DMS_TEST_STALE_STATE_LIBRARY) + " is from another build"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("ABI stamp 0123456789abcdef, this plugin's is "), std::string::npos)
      << message;
}

TEST(PostgresStateLibrary, ALibraryThatIsNotTheStateLibraryIsRefused) {
  auto store = openPostgresStateThrough(DMS_TEST_FOREIGN_STATE_LIBRARY, kUrl);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, dms::ErrorCode::NotSupported);
  EXPECT_NE(store.error().message.find(std::string(DMS_TEST_FOREIGN_STATE_LIBRARY) +
                                       " is not the PostgreSQL state library"),
            std::string::npos)
      << store.error().message;
}

TEST(PostgresStateLibrary, ItsErrorsComeBackThroughTheFactoryNamingTheKey) {
  // The real library, loaded: nothing listens on port 1, so open() fails inside it and the
  // error crosses the boundary as a value (never as an exception).
  dms::test::TempDir tmp;
  auto store = openStateStore(kUrl, tmp.str());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, dms::ErrorCode::Unavailable) << store.error().describe();
  EXPECT_TRUE(store.error().message.starts_with("state.url: ")) << store.error().message;
  EXPECT_NE(store.error().message.find("postgresql://dms@127.0.0.1:1/ambita"), std::string::npos)
      << store.error().message;
  EXPECT_EQ(store.error().message.find("pw-9xQ"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace ambita::filing
