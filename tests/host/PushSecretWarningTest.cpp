// `dms-host config check` with the real Ambita plugin warns while the push route is open to
// anyone (no ambita.push.secret), and says nothing once a secret is set.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "Host.h"
#include "support/TempDir.h"

namespace {

const std::filesystem::path kModules = DMS_MODULE_DIR;

struct CheckResult {
  int exitCode;
  std::string out;
  std::string err;
};

CheckResult configCheck(const dms::test::TempDir& dir, const std::string& pushSection) {
  const auto file = dir.path() / "host.json";
  std::ofstream(file) << R"({"dataDir": ")" << (dir.path() / "data").string()
                      << R"(", "modules": ")" << kModules.string()
                      << R"(", "target": {"connector": "filesystem", "root": ")"
                      << (dir.path() / "archive").string()
                      << R"("}, "ambita": {"baseUrl": "http://127.0.0.1:1", "clientId": "id", )"
                      << R"("clientSecret": "${DMS_TEST_SECRET}", "username": "user", )"
                      << R"("password": "${DMS_TEST_SECRET}")" << pushSection << "}}";
  std::ostringstream out;
  std::ostringstream err;
  ::setenv("DMS_TEST_SECRET", "secret-91f0-value", 1);
  dms::host::Host host(out, err, kModules);
  const int code = host.main({"--config", file.string(), "config", "check"});
  ::unsetenv("DMS_TEST_SECRET");
  return {code, out.str(), err.str()};
}

TEST(PushSecretWarning, ConfigCheckWarnsWhileThePushRouteIsOpen) {
  dms::test::TempDir dir;
  const auto open = configCheck(dir, "");
  EXPECT_EQ(open.exitCode, 0) << open.err;
  EXPECT_NE(open.out.find("configuration OK"), std::string::npos) << open.out;
  EXPECT_NE(open.err.find("warning: POST /ambita/push: ambita.push.secret is not set: anyone who "
                          "can reach http.listen can queue pushes"),
            std::string::npos)
      << open.err;
}

TEST(PushSecretWarning, ConfigCheckIsQuietWithASecret) {
  dms::test::TempDir dir;
  const auto closed = configCheck(dir, R"(, "push": {"secret": "${DMS_TEST_SECRET}"})");
  EXPECT_EQ(closed.exitCode, 0) << closed.err;
  EXPECT_EQ(closed.err.find("warning"), std::string::npos) << closed.err;
}

}  // namespace
