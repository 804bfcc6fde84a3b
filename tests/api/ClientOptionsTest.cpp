#include "api/ClientOptions.h"

#include <gtest/gtest.h>

namespace ambita::api {
namespace {

/// The client's options as the plugin reads them: through a reader of the section.
dms::Result<ClientOptions> parse(const std::string& text) {
  auto reader = dms::config::OptionReader::parse(text, {clientConfigOptions()}, "ambita");
  if (!reader) return reader.error();
  return parseClientOptions(*reader);
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
      "readTimeoutSeconds": 30, "maxAttempts": 3, "maxRetrySeconds": 10,
      "initialBackoffMs": 10, "maxBackoffMs": 100, "maxConnectionsPerOrigin": 2,
      "tlsVerification": "relaxed"})");
  ASSERT_TRUE(custom) << custom.error().describe();
  EXPECT_EQ(custom->baseUrl, "http://127.0.0.1:8080");
  EXPECT_EQ(custom->connectTimeout.count(), 2500);
  EXPECT_EQ(custom->readTimeout.count(), 30000);
  EXPECT_EQ(custom->maxAttempts, 3);
  EXPECT_EQ(custom->initialBackoff.count(), 10);
  EXPECT_EQ(custom->maxConnectionsPerOrigin, 2);
  EXPECT_EQ(custom->tlsVerification, TlsVerification::Relaxed);
}

// Issue 8: the defaults are declared once, in the schema; a section with only the required
// credentials gives exactly those.
TEST(ClientOptionsTest, AnEmptySectionGivesTheSchemasDefaults) {
  auto o = parse("{" + kCredentials + "}");
  ASSERT_TRUE(o) << o.error().describe();
  const auto declared = [](const std::string& key) {
    for (const auto& option : clientConfigOptions())
      if (option.key == key) return option.defaultJson;
    ADD_FAILURE() << key << " is not declared";
    return std::string();
  };
  const auto seconds = [](std::chrono::milliseconds ms) {
    return static_cast<double>(ms.count()) / 1000.0;
  };
  EXPECT_EQ("\"" + o->baseUrl + "\"", declared("baseUrl"));
  EXPECT_EQ(declared("tlsVerification"), "\"strict\"");
  EXPECT_EQ(o->tlsVerification, TlsVerification::Strict);
  EXPECT_EQ(o->caFile, "");
  EXPECT_EQ(declared("allowInsecureHttp"), o->allowInsecureHttp ? "true" : "false");
  EXPECT_DOUBLE_EQ(seconds(o->connectTimeout), std::stod(declared("connectTimeoutSeconds")));
  EXPECT_DOUBLE_EQ(seconds(o->readTimeout), std::stod(declared("readTimeoutSeconds")));
  EXPECT_DOUBLE_EQ(seconds(o->maxRetryTime), std::stod(declared("maxRetrySeconds")));
  EXPECT_DOUBLE_EQ(seconds(o->tokenRefreshMargin),
                   std::stod(declared("tokenRefreshMarginSeconds")));
  EXPECT_DOUBLE_EQ(seconds(o->maxWait), std::stod(declared("maxWaitSeconds")));
  EXPECT_EQ(o->maxAttempts, std::stoll(declared("maxAttempts")));
  EXPECT_EQ(o->initialBackoff.count(), std::stoll(declared("initialBackoffMs")));
  EXPECT_EQ(o->maxBackoff.count(), std::stoll(declared("maxBackoffMs")));
  EXPECT_EQ(o->maxConnectionsPerOrigin, std::stoll(declared("maxConnectionsPerOrigin")));
  EXPECT_EQ(o->maxDownloadBytes >> 20,
            static_cast<std::uint64_t>(std::stoll(declared("maxDownloadMiB"))));
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
  EXPECT_NE(notABool.error().message.find("ambita.allowInsecureHttp: expected a boolean"),
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
