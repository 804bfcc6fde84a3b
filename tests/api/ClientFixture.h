#pragma once
/// Shared setup of the client tests: a TestServer playing Ambita (token endpoint built in, the
/// rest answered by the test's `api` handler) and a client with short timeouts and backoff.

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include "TestServer.h"
#include "api/AmbitaClient.h"
#include "support/CapturingLogger.h"

namespace ambita::test {

using dms::test::CapturingLogger;

class ClientFixture : public ::testing::Test {
 protected:
  using Api = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&,
                                 const std::string& body)>;

  ClientFixture();
  /// Stops the server first: its handlers may use members of the derived test fixture.
  void TearDown() override;

  /// Options pointing at `server` with the TokenService's credentials, 4 attempts, 10-50 ms
  /// backoff, 2 s timeouts.
  api::ClientOptions options() const;
  /// The client under test (made on first use from options(), then kept). Thread-safe: a
  /// test's second thread may be the first to ask for it.
  api::AmbitaClient& client();
  /// Replaces the client; only while no other thread of the test uses it.
  void makeClient(const api::ClientOptions& o);
  /// Replaces the client by one with a 1 s read timeout and a single attempt (the tests of the
  /// answer's deadlines).
  void makeQuickClient();

  /// Every secret the test knows: credentials and every token ever issued.
  std::vector<std::string> secrets() const;
  /// Fails the test if `text` contains any secret.
  void expectNoSecret(const std::string& text) const;

  TokenService tokens;
  Api api;
  CapturingLogger logger;
  std::unique_ptr<TestServer> server;

 private:
  std::mutex clientMutex_;  ///< guards making client_
  std::unique_ptr<api::AmbitaClient> client_;
};

/// A minimal order answer with that id.
std::string orderJson(std::int64_t id, const std::string& status = "NEW");

}  // namespace ambita::test
