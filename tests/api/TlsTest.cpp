// HTTPS for real: a throwaway CA and server certificates made with the openssl CLI in a temp
// folder, a Poco HTTPS server (its own server Context) on 127.0.0.1:0, and the client with and
// without that CA.

#include <cstdlib>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include <Poco/Net/Context.h>

#include "TestServer.h"
#include "api/AmbitaClient.h"
#include "support/CapturingLogger.h"
#include "support/TempDir.h"
#include "support/TestCertificates.h"

namespace ambita::test {
namespace {

using Req = Poco::Net::HTTPServerRequest;
using Resp = Poco::Net::HTTPServerResponse;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = std::make_unique<dms::test::TestCertificates>(); }
  static void TearDownTestSuite() { certs_.reset(); }

  void SetUp() override {
    if (!certs_->ready()) GTEST_SKIP() << "the openssl CLI could not make test certificates";
  }

  static Poco::Net::Context::Ptr serverContext(const std::string& name) {
    return certs_->serverContext(name);
  }

  std::unique_ptr<TestServer> serve(const std::string& certName) {
    return std::make_unique<TestServer>(
        [this](Req& req, Resp& resp, const std::string& body) {
          if (tokens_.handle(req, resp, body)) return;
          if (!tokens_.authorize(req, resp)) return;
          if (req.getURI() == "/shopping/v2/assets/big")
            return reply(resp, 200, std::string(1 << 20, 'x'), "application/pdf");
          reply(resp, 200, R"({"id": 42, "status": "NEW"})");
        },
        serverContext(certName));
  }

  api::ClientOptions optionsFor(const TestServer& s, const std::string& caFile) {
    api::ClientOptions o;
    o.baseUrl = s.baseUrl();
    o.clientId = tokens_.clientId;
    o.clientSecret = tokens_.clientSecret;
    o.username = tokens_.username;
    o.password = tokens_.password;
    o.caFile = caFile;
    o.maxAttempts = 2;
    o.initialBackoff = std::chrono::milliseconds(10);
    o.connectTimeout = std::chrono::milliseconds(2000);
    o.readTimeout = std::chrono::milliseconds(2000);
    return o;
  }

  static std::string caFile() { return certs_->caFile(); }

  static inline std::unique_ptr<dms::test::TestCertificates> certs_;
  dms::test::TempDir dir_{"ambita-tls"};
  TokenService tokens_;
  dms::test::CapturingLogger logger_;
};

TEST_F(TlsTest, TrustedCaSucceeds) {
  auto server = serve("good");
  ASSERT_EQ(server->baseUrl().rfind("https://", 0), 0u);
  api::AmbitaClient client(optionsFor(*server, caFile()), &logger_);
  auto o = client.getOrder(42);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->id, 42);
}

TEST_F(TlsTest, DownloadOverHttpsReusesTheConnection) {
  auto server = serve("good");
  api::AmbitaClient client(optionsFor(*server, caFile()), &logger_);
  for (int i = 0; i < 3; ++i) {
    auto d = client.downloadAsset(server->baseUrl() + "/shopping/v2/assets/big",
                                  dir_.path() / "big.pdf");
    ASSERT_TRUE(d) << d.error().describe();
    EXPECT_EQ(d->size, 1u << 20);
  }
  std::set<std::string> peers;
  for (const auto& r : server->requests()) peers.insert(r.peer);
  EXPECT_EQ(peers.size(), 1u);  // one TLS connection for the token and all three downloads
}

TEST_F(TlsTest, UnknownCaFailsWithCertificateError) {
  auto server = serve("good");
  api::AmbitaClient client(optionsFor(*server, ""), &logger_);  // system CAs only
  auto o = client.getOrder(42);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(o.error().message.find("certificate verify failed"), std::string::npos)
      << o.error().message;
  EXPECT_NE(o.error().message.find("127.0.0.1"), std::string::npos) << o.error().message;
  EXPECT_EQ(server->requests().size(), 0u);  // nothing was sent, not even the credentials
}

TEST_F(TlsTest, CertificateForAnotherNameFails) {
  auto server = serve("other");
  api::AmbitaClient client(optionsFor(*server, caFile()), &logger_);
  auto o = client.getOrder(42);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("certificate verify failed"), std::string::npos)
      << o.error().message;
  EXPECT_NE(o.error().message.find("host 127.0.0.1"), std::string::npos) << o.error().message;
  EXPECT_EQ(server->requests().size(), 0u);
}

TEST_F(TlsTest, UnreadableCaFileIsAClearError) {
  auto server = serve("good");
  const std::string bogus = dir_.str() + "/bogus.pem";
  std::ofstream(bogus) << "not a certificate\n";
  api::AmbitaClient client(optionsFor(*server, bogus), &logger_);
  auto o = client.getOrder(42);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("bogus.pem"), std::string::npos) << o.error().message;
}

}  // namespace
}  // namespace ambita::test
