// The `admin` section: read into settings, or issues naming the key. The console never serves
// without someone able to log in, on loopback or beyond it.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <iostream>
#include <sstream>

#include "Host.h"
#include "admin/AdminSettings.h"
#include "admin/PasswordHash.h"

namespace dms::host::admin {
namespace {

Poco::JSON::Object::Ptr object(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::string> describe(const ConfigIssues& issues) {
  std::vector<std::string> out;
  for (const auto& issue : issues) out.push_back(issue.describe());
  return out;
}

TEST(AdminSettings, ReadsUsersTokenListenAndSessionLifetime) {
  const std::string hash = PasswordHash::make("a long password", 1000);
  ConfigIssues issues;
  auto settings =
      readAdminSettings(object(R"({"listen": "127.0.0.1:9001", "users": {"alice": ")" + hash +
                               R"("}, "token": "0123456789abcdef", "sessionMinutes": 5})"),
                        issues);
  ASSERT_TRUE(settings) << testing::PrintToString(describe(issues));
  EXPECT_EQ(settings->listen.port, 9001);
  EXPECT_EQ(settings->users.at("alice"), hash);
  EXPECT_EQ(settings->token, "0123456789abcdef");
  EXPECT_EQ(settings->sessionLifetime, std::chrono::minutes(5));
}

TEST(AdminSettings, AbsentSectionIsOff) {
  ConfigIssues issues;
  EXPECT_FALSE(readAdminSettings(nullptr, issues));
  EXPECT_TRUE(issues.empty());
}

TEST(AdminSettings, BeyondLoopbackWithoutCredentialsIsRefused) {
  ConfigIssues issues;
  EXPECT_FALSE(readAdminSettings(object(R"({"listen": "0.0.0.0:8090", "users": {}})"), issues));
  EXPECT_EQ(describe(issues),
            std::vector<std::string>{
                "admin: bound beyond loopback (0.0.0.0:8090) without credentials: the console "
                "never serves without authentication; configure admin.users (dms-host "
                "admin-password) or admin.token"});
  issues.clear();
  EXPECT_FALSE(readAdminSettings(object(R"({"listen": "127.0.0.1:8090"})"), issues));
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_TRUE(issues[0].message.starts_with("without credentials")) << issues[0].message;
}

TEST(AdminSettings, BadValuesNameTheirKey) {
  ConfigIssues issues;
  EXPECT_FALSE(readAdminSettings(
      object(R"({"listen": "nowhere", "users": {"bob": "plain-password"}, "token": "short",
                 "sessionMinutes": 0})"),
      issues));
  EXPECT_EQ(describe(issues),
            (std::vector<std::string>{
                "admin.listen: expected \"host:port\" with a port 0-65535, got \"nowhere\"",
                "admin.users.bob: expected a hash starting with \"pbkdf2-sha256$\" (make one "
                "with dms-host admin-password)",
                "admin.token: expected 16 characters or more (e.g. openssl rand -hex 32)",
                "admin.sessionMinutes: expected 1 to 1440, got 0"}));
  for (const auto& text : describe(issues))
    EXPECT_EQ(text.find("plain-password"), std::string::npos) << "a hash is never echoed";
}

/// std::cin reads `text` while it lives.
class StdinFrom {
 public:
  explicit StdinFrom(const std::string& text)
      : text_(text), saved_(std::cin.rdbuf(text_.rdbuf())) {}
  ~StdinFrom() { std::cin.rdbuf(saved_); }
  StdinFrom(const StdinFrom&) = delete;
  StdinFrom& operator=(const StdinFrom&) = delete;

 private:
  std::istringstream text_;
  std::streambuf* saved_;
};

TEST(AdminPassword, PrintsAHashOfThePasswordReadFromStdin) {
  std::ostringstream out, err;
  Host host(out, err, "/nonexistent");
  {
    StdinFrom input("a long password\n");
    ASSERT_EQ(host.main({"admin-password"}), 0) << err.str();
  }
  std::string hash = out.str();
  ASSERT_TRUE(hash.ends_with("\n"));
  hash.pop_back();
  EXPECT_TRUE(hash.starts_with("pbkdf2-sha256$600000$")) << hash;
  EXPECT_TRUE(PasswordHash::verify("a long password", hash));
  EXPECT_EQ(out.str().find("a long password"), std::string::npos);

  std::ostringstream out2, err2;
  Host again(out2, err2, "/nonexistent");
  StdinFrom input("short\n");
  EXPECT_EQ(again.main({"admin-password"}), 2);
  EXPECT_EQ(err2.str(), "dms-host: admin-password: the password must have 10 characters or more\n");
}

}  // namespace
}  // namespace dms::host::admin
