#include "api/ClientOptions.h"

#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

namespace ambita::api {
namespace {

dms::Result<ClientOptions> parse(const std::string& text) {
  Poco::JSON::Parser p;
  return parseClientOptions(*p.parse(text).extract<Poco::JSON::Object::Ptr>());
}

const std::string kCredentials =
    R"("clientId": "c", "clientSecret": "topsecret-1", "username": "u", "password": "pw-secret-2")";

TEST(ClientOptionsTest, DefaultsAndOverrides) {
  auto o = parse("{" + kCredentials + "}");
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->baseUrl, "https://api.ambita.com");
  EXPECT_EQ(o->tlsVerification, TlsVerification::Strict);
  EXPECT_EQ(o->maxAttempts, 5);

  auto custom = parse("{" + kCredentials +
                      R"(, "baseUrl": "http://127.0.0.1:8080/", "connectTimeoutSeconds": 2.5,
      "readTimeoutSeconds": "30", "maxAttempts": 3, "maxRetrySeconds": 10,
      "initialBackoffMs": 10, "maxBackoffMs": 100, "maxConnectionsPerOrigin": 2,
      "tlsVerification": "relaxed", "unrelated.key": 1})");
  ASSERT_TRUE(custom) << custom.error().describe();
  EXPECT_EQ(custom->baseUrl, "http://127.0.0.1:8080");
  EXPECT_EQ(custom->connectTimeout.count(), 2500);
  EXPECT_EQ(custom->readTimeout.count(), 30000);
  EXPECT_EQ(custom->maxAttempts, 3);
  EXPECT_EQ(custom->initialBackoff.count(), 10);
  EXPECT_EQ(custom->maxConnectionsPerOrigin, 2);
  EXPECT_EQ(custom->tlsVerification, TlsVerification::Relaxed);
}

TEST(ClientOptionsTest, ErrorsNameTheKeyAndNeverTheSecret) {
  struct Case {
    std::string json;
    const char* expected;
  } cases[] = {
      {R"({"clientId": "c", "username": "u", "password": "pw-secret-2"})",
       "ambita.clientSecret: required"},
      {"{" + kCredentials + R"(, "baseUrl": "ftp://x"})", "ambita.baseUrl:"},
      {"{" + kCredentials + R"(, "baseUrl": "https://u:p@x"})", "ambita.baseUrl:"},
      {"{" + kCredentials + R"(, "connectTimeoutSeconds": 0})", "ambita.connectTimeoutSeconds:"},
      {"{" + kCredentials + R"(, "readTimeoutSeconds": "soon"})", "ambita.readTimeoutSeconds:"},
      {"{" + kCredentials + R"(, "maxAttempts": 2.5})", "ambita.maxAttempts:"},
      {"{" + kCredentials + R"(, "caFile": "/nonexistent/ca.pem"})", "ambita.caFile: cannot read"},
      {"{" + kCredentials + R"(, "tlsVerification": "none"})", "ambita.tlsVerification:"},
      {R"({"clientId": 5, "clientSecret": "topsecret-1", "username": "u", "password": "p"})",
       "ambita.clientId: expected a string"},
  };
  for (const auto& c : cases) {
    auto o = parse(c.json);
    ASSERT_FALSE(o) << c.json;
    EXPECT_EQ(o.error().code, dms::ErrorCode::InvalidArgument);
    EXPECT_NE(o.error().message.find(c.expected), std::string::npos) << o.error().message;
    EXPECT_EQ(o.error().message.find("topsecret-1"), std::string::npos);
    EXPECT_EQ(o.error().message.find("pw-secret-2"), std::string::npos);
  }
}

// Issue 13 item 8: the password grant sends the password (and the client secret) in the
// request body, so plain http:// is allowed only to loopback unless explicitly opted in.
TEST(ClientOptionsTest, PlainHttpToAnotherHostNeedsExplicitOptIn) {
  auto refused = parse("{" + kCredentials + R"(, "baseUrl": "http://api.example.com"})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(refused.error().message.find("ambita.baseUrl:"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("ambita.allowInsecureHttp"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("pw-secret-2"), std::string::npos);

  auto optedIn = parse("{" + kCredentials +
                       R"(, "baseUrl": "http://api.example.com", "allowInsecureHttp": true})");
  ASSERT_TRUE(optedIn) << optedIn.error().describe();

  for (const char* loopback : {"http://127.0.0.1:8099", "http://localhost:8099", "http://127.1.2.3",
                               "http://[::1]:8099"}) {
    auto o = parse("{" + kCredentials + R"(, "baseUrl": ")" + loopback + R"("})");
    EXPECT_TRUE(o) << loopback << ": " << o.error().describe();
  }
  auto notABool = parse("{" + kCredentials + R"(, "allowInsecureHttp": "yes"})");
  ASSERT_FALSE(notABool);
  EXPECT_NE(notABool.error().message.find("ambita.allowInsecureHttp: expected true or false"),
            std::string::npos)
      << notABool.error().message;
}

TEST(ClientOptionsTest, SchemaMarksSecrets) {
  int secrets = 0;
  for (const auto& opt : clientConfigOptions()) {
    if (opt.secret) {
      ++secrets;
      EXPECT_TRUE(opt.key == "clientSecret" || opt.key == "password") << opt.key;
    }
    EXPECT_FALSE(opt.help.empty()) << opt.key;
  }
  EXPECT_EQ(secrets, 2);
}

}  // namespace
}  // namespace ambita::api
