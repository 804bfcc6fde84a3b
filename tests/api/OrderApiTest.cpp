// The OrderApi base class, with an in-memory implementation (no network): every implementation,
// real or fake, keeps OpenSSL initialised for its whole life.
//
// A short-lived Poco::Crypto object (each DownloadBody's SHA-256 engine was one, until the
// downloads hashed through OpenSSL's EVP directly: api/Sha256.h) initialises OpenSSL's
// process-wide state when Poco's count of OpenSSL users goes from 0 to 1 and tears it down when
// the count drops back to 0. Downloads on several threads then raced on that setup and teardown
// (CI: a TSan data race in OpenSSLInitializer::uninitialize in ReconcilerFaultTest, whose
// FakeOrderApi held no initializer; AmbitaClient crashed the same way before it held one). The
// count must therefore never drop to 0 while an OrderApi lives.

#include "api/OrderApi.h"

#include <dlfcn.h>

#include <Poco/AtomicCounter.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <atomic>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ambita::api {
namespace {

/// Poco's count of OpenSSL users (OpenSSLInitializer's private static, read through the symbol
/// libPocoCrypto exports): 0 means the next user sets OpenSSL's process-wide state up afresh.
int openSslUsers() {
  const void* count = dlsym(RTLD_DEFAULT, "_ZN4Poco6Crypto18OpenSSLInitializer3_rcE");
  if (count == nullptr)
    throw std::runtime_error("Poco::Crypto::OpenSSLInitializer::_rc not found in the process");
  return static_cast<const Poco::AtomicCounter*>(count)->value();
}

/// Serves the URL itself as the body.
class InMemoryOrderApi final : public OrderApi {
 public:
  dms::Result<OrderCollection> getOrder(std::int64_t orderId) override {
    return dms::fail(dms::ErrorCode::NotFound, "order " + std::to_string(orderId));
  }
  dms::Result<Download> streamAsset(const std::string& downloadUrl,
                                    const BodyConsumer& consume) override {
    std::istringstream served(downloadUrl);
    std::vector<char> buffer(64);
    DownloadBody body(
        [&served](char* into, std::size_t size) {
          return static_cast<std::size_t>(
              served.rdbuf()->sgetn(into, static_cast<std::streamsize>(size)));
        },
        buffer, {downloadUrl.size(), 1 << 20}, [] { return false; }, "download " + downloadUrl,
        sha256());
    if (auto consumed = consume(body); !consumed) return consumed.error();
    return body.result();
  }
};

std::string sha256Hex(const std::string& bytes) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(bytes);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

dms::Status readToTheEnd(DownloadBody& body) {
  std::ostringstream sink;
  sink << body.rdbuf();
  return {};
}

TEST(OrderApi, KeepsOpenSslInitialisedWhileDownloadsComeAndGoOnSeveralThreads) {
  const int before = openSslUsers();
  {
    InMemoryOrderApi api;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          const std::string url = "https://api.test/assets/" + std::to_string(t * 100 + i);
          const auto got = api.streamAsset(url, readToTheEnd);
          if (!got || got->sha256Hex != sha256Hex(url)) ++wrong;
        }
      });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
    // Every download is over; the implementation still holds OpenSSL.
    EXPECT_EQ(openSslUsers(), before + 1)
        << "OpenSSL was torn down between downloads: the next one sets it up afresh, racing "
           "with any download on another thread";
  }
  EXPECT_EQ(openSslUsers(), before) << "an OrderApi released OpenSSL more or less than it held";
}

}  // namespace
}  // namespace ambita::api
