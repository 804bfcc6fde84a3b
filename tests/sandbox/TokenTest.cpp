// Token endpoint of the sandbox: grants, rotation, credential checks, bearer validation.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "SandboxTestUtil.h"

namespace dms::test {
namespace {

constexpr const char* kTokenPath = "/authentication/v2/token";

std::string passwordJson(const std::string& password = "demo-password") {
  return std::string(R"({"grant_type":"password","client_id":"sandbox-client",)") +
         R"("client_secret":"sandbox-secret","username":"demo","password":")" + password + "\"}";
}

TEST(SandboxToken, PasswordGrantAsJsonReturnsBearerWithScopeArray) {
  SandboxProcess sandbox;
  RawReply reply = rawRequest(sandbox, "POST", kTokenPath, passwordJson());
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto json = parseObject(reply.body);
  EXPECT_EQ(json->getValue<std::string>("token_type"), "Bearer");
  EXPECT_EQ(json->getValue<int>("expires_in"), 3600);
  EXPECT_FALSE(json->getValue<std::string>("access_token").empty());
  EXPECT_FALSE(json->getValue<std::string>("refresh_token").empty());
  ASSERT_TRUE(json->getArray("scope"));
  EXPECT_EQ(json->getArray("scope")->size(), 4u);
}

TEST(SandboxToken, PasswordGrantAsFormBodyWithEncodedValues) {
  SandboxProcess sandbox({"--password", "hemmelig passord&æ"});
  RawReply reply = rawRequest(sandbox, "POST", kTokenPath,
                              "grant_type=password&client_id=sandbox-client&client_secret="
                              "sandbox-secret&username=demo&password=hemmelig+passord%26%C3%A6",
                              "", "application/x-www-form-urlencoded");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_FALSE(parseObject(reply.body)->getValue<std::string>("access_token").empty());
}

TEST(SandboxToken, TokenLifetimeFlagIsReported) {
  SandboxProcess sandbox({"--token-lifetime", "120"});
  RawReply reply = rawRequest(sandbox, "POST", kTokenPath, passwordJson());
  EXPECT_EQ(parseObject(reply.body)->getValue<int>("expires_in"), 120);
}

TEST(SandboxToken, ClientCredentialsGrantHasNoRefreshToken) {
  SandboxProcess sandbox;
  RawReply reply = rawRequest(
      sandbox, "POST", kTokenPath,
      R"({"grant_type":"client_credentials","client_id":"sandbox-client","client_secret":"sandbox-secret"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto json = parseObject(reply.body);
  EXPECT_FALSE(json->has("refresh_token"));
  const std::string token = json->getValue<std::string>("access_token");
  EXPECT_EQ(rawRequest(sandbox, "GET", "/kode/v1/products?municipality=9999", "", token).status,
            200);
}

TEST(SandboxToken, RefreshTokensRotateAndWorkOnlyOnce) {
  SandboxProcess sandbox;
  auto first = parseObject(rawRequest(sandbox, "POST", kTokenPath, passwordJson()).body);
  const std::string refresh1 = first->getValue<std::string>("refresh_token");
  RawReply second = rawRequest(sandbox, "POST", kTokenPath,
                               "grant_type=refresh_token&refresh_token=" + refresh1 +
                                   "&client_id=sandbox-client&client_secret=sandbox-secret",
                               "", "application/x-www-form-urlencoded");
  ASSERT_EQ(second.status, 200) << second.body;
  auto secondJson = parseObject(second.body);
  const std::string refresh2 = secondJson->getValue<std::string>("refresh_token");
  EXPECT_NE(refresh1, refresh2);
  EXPECT_NE(first->getValue<std::string>("access_token"),
            secondJson->getValue<std::string>("access_token"));

  RawReply reused =
      rawRequest(sandbox, "POST", kTokenPath,
                 R"({"grant_type":"refresh_token","refresh_token":")" + refresh1 + "\"}");
  EXPECT_EQ(reused.status, 400);
  EXPECT_EQ(parseObject(reused.body)->getValue<std::string>("error"), "invalid_grant");

  // Without client credentials (allowed for refresh) the new refresh token works.
  RawReply third =
      rawRequest(sandbox, "POST", kTokenPath,
                 R"({"grant_type":"refresh_token","refresh_token":")" + refresh2 + "\"}");
  EXPECT_EQ(third.status, 200) << third.body;
}

TEST(SandboxToken, BadCredentialsGetOAuthErrorsWithoutSecrets) {
  SandboxProcess sandbox;
  RawReply wrongPassword = rawRequest(sandbox, "POST", kTokenPath, passwordJson("guess-me-123"));
  EXPECT_EQ(wrongPassword.status, 400);
  EXPECT_EQ(parseObject(wrongPassword.body)->getValue<std::string>("error"), "invalid_grant");
  EXPECT_EQ(wrongPassword.body.find("guess-me-123"), std::string::npos);

  RawReply wrongSecret = rawRequest(
      sandbox, "POST", kTokenPath,
      R"({"grant_type":"password","client_id":"sandbox-client","client_secret":"s3cr3t-x","username":"demo","password":"demo-password"})");
  EXPECT_EQ(wrongSecret.status, 401);
  EXPECT_EQ(parseObject(wrongSecret.body)->getValue<std::string>("error"), "invalid_client");
  EXPECT_EQ(wrongSecret.body.find("s3cr3t-x"), std::string::npos);

  RawReply noGrant = rawRequest(sandbox, "POST", kTokenPath, R"({"client_id":"sandbox-client"})");
  EXPECT_EQ(noGrant.status, 400);
  EXPECT_EQ(parseObject(noGrant.body)->getValue<std::string>("error"), "invalid_request");

  RawReply unsupported = rawRequest(sandbox, "POST", kTokenPath, R"({"grant_type":"implicit"})");
  EXPECT_EQ(unsupported.status, 400);
  EXPECT_EQ(parseObject(unsupported.body)->getValue<std::string>("error"),
            "unsupported_grant_type");

  RawReply badRefresh = rawRequest(sandbox, "POST", kTokenPath,
                                   R"({"grant_type":"refresh_token","refresh_token":"nope"})");
  EXPECT_EQ(badRefresh.status, 400);
  EXPECT_EQ(parseObject(badRefresh.body)->getValue<std::string>("error"), "invalid_grant");
}

TEST(SandboxToken, MissingUnknownAndExpiredBearerGet401) {
  SandboxProcess sandbox({"--token-lifetime", "1"});
  const std::string path = "/kode/v1/products?municipality=9999";
  EXPECT_EQ(rawRequest(sandbox, "GET", path).status, 401);
  EXPECT_EQ(rawRequest(sandbox, "GET", path, "", "not-a-token").status, 401);
  const std::string token = sandbox.passwordToken();
  EXPECT_EQ(rawRequest(sandbox, "GET", path, "", token).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  RawReply expired = rawRequest(sandbox, "GET", path, "", token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(parseObject(expired.body)->getValue<std::string>("error"), "invalid_token");
}

TEST(SandboxToken, ExpireTokensInvalidatesEveryAccessTokenButNotRefresh) {
  SandboxProcess sandbox;
  auto grant = parseObject(rawRequest(sandbox, "POST", kTokenPath, passwordJson()).body);
  const std::string token = grant->getValue<std::string>("access_token");
  const std::string path = "/kode/v1/products?municipality=9999";
  ASSERT_EQ(rawRequest(sandbox, "GET", path, "", token).status, 200);
  sandbox.expireTokens();
  EXPECT_EQ(rawRequest(sandbox, "GET", path, "", token).status, 401);
  RawReply refreshed = rawRequest(sandbox, "POST", kTokenPath,
                                  R"({"grant_type":"refresh_token","refresh_token":")" +
                                      grant->getValue<std::string>("refresh_token") + "\"}");
  ASSERT_EQ(refreshed.status, 200);
  EXPECT_EQ(rawRequest(sandbox, "GET", path, "",
                       parseObject(refreshed.body)->getValue<std::string>("access_token"))
                .status,
            200);
  EXPECT_EQ(sandbox.tokensIssued(), 2u);
}

TEST(SandboxToken, RequestLogRecordsAuthorizationPresenceNeverItsValue) {
  SandboxProcess sandbox;
  const std::string token = sandbox.passwordToken();
  rawRequest(sandbox, "GET", "/kode/v1/products?municipality=9999", "", token);
  rawRequest(sandbox, "GET", "/kode/v1/products?municipality=9999");
  auto log = sandbox.requests();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_FALSE(log->getObject(0)->getValue<bool>("authorization"));
  EXPECT_EQ(log->getObject(0)->getValue<std::string>("endpoint"), "token");
  EXPECT_TRUE(log->getObject(1)->getValue<bool>("authorization"));
  EXPECT_EQ(log->getObject(1)->getValue<int>("status"), 200);
  EXPECT_FALSE(log->getObject(2)->getValue<bool>("authorization"));
  EXPECT_EQ(log->getObject(2)->getValue<int>("status"), 401);
  std::ostringstream text;
  log->stringify(text);
  EXPECT_EQ(text.str().find(token), std::string::npos);
}

}  // namespace
}  // namespace dms::test
