// Sha256 (OpenSSL's EVP with the implementation looked up once, the downloads' hash): the
// published test vectors (FIPS 180-2 / NIST CAVS), whatever the pieces the bytes arrive in,
// and one looked-up implementation serving hashes on several threads at once.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "api/Sha256.h"

namespace ambita::test {
namespace {

using api::Sha256;
using api::Sha256Method;

std::string hashInPieces(const Sha256Method& method, const std::string& bytes, std::size_t piece) {
  Sha256 sha(method);
  for (std::size_t at = 0; at < bytes.size(); at += piece)
    sha.update(bytes.data() + at, std::min(piece, bytes.size() - at));
  return sha.hex();
}

TEST(Sha256Test, GivesThePublishedDigestsWhateverThePieces) {
  const Sha256Method method;
  const std::string abc56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  const std::string million(1000000, 'a');
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{65537}}) {
    SCOPED_TRACE("pieces of " + std::to_string(piece));
    EXPECT_EQ(hashInPieces(method, "", piece),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hashInPieces(method, "abc", piece),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hashInPieces(method, abc56, piece),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    if (piece > 1) {
      EXPECT_EQ(hashInPieces(method, million, piece),
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
  }
}

TEST(Sha256Test, OneImplementationServesHashesOnSeveralThreadsAtOnce) {
  const Sha256Method method;
  const std::string bytes(300000, 'a');
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) results[t] = hashInPieces(method, bytes, 4096 + t);
    });
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_EQ(result, hashInPieces(method, bytes, bytes.size()));
}

}  // namespace
}  // namespace ambita::test
