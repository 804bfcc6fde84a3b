// DownloadBody on its own: whichever way a consumer reads it (byte by byte through the body's
// buffer, or read() straight into its own), it yields the source's bytes exactly once, in
// order, and size and SHA-256 describe exactly those bytes; a body cut short fails whichever
// way it is read.

#include <gtest/gtest.h>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "api/DownloadBody.h"

namespace ambita::test {
namespace {

std::string patterned(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 29 + i / 5) & 0xff);
  return s;
}

std::string sha256(const std::string& data) {
  Poco::SHA2Engine e(Poco::SHA2Engine::SHA_256);
  e.update(data);
  return Poco::DigestEngine::digestToHex(e.digest());
}

/// A body served from `served` in pieces of at most `piece` bytes a source call (a network
/// delivers what has arrived, not what was asked for), declaring `declared` bytes.
class PiecewiseBody {
 public:
  PiecewiseBody(std::string served, std::uint64_t declared, std::span<char> buffer,
                std::size_t piece = 1000)
      : served_(std::move(served)),
        body_(
            [this, piece](char* into, std::size_t size) {
              const auto n = static_cast<std::size_t>(served_.rdbuf()->sgetn(
                  into, static_cast<std::streamsize>(std::min(size, piece))));
              return n;
            },
            buffer, {declared, 1ULL << 40}, [] { return false; }, "download test", sha256_) {}
  api::DownloadBody& body() { return body_; }

 private:
  std::istringstream served_;
  api::Sha256Method sha256_;
  api::DownloadBody body_;
};

/// Reads `body` to its end alternating single bytes (get), skipped bytes kept aside (peek),
/// and block reads of odd sizes (read), so both ways of reading meet at every boundary.
std::string readMixed(api::DownloadBody& body) {
  std::string out;
  std::vector<char> block(7777);
  for (int round = 0; body; ++round) {
    if (round % 3 == 0) {
      const int c = body.get();
      if (c != std::char_traits<char>::eof()) out += static_cast<char>(c);
    } else {
      body.read(block.data(), static_cast<std::streamsize>(round % 2 ? block.size() : 333));
      out.append(block.data(), static_cast<std::size_t>(body.gcount()));
    }
  }
  return out;
}

TEST(DownloadBodyTest, ByteReadsAndBlockReadsYieldTheBodyOnceAndItsHashWithoutAGivenBuffer) {
  const auto data = patterned(300 * 1000 + 17);
  PiecewiseBody served(data, data.size(), {});
  EXPECT_EQ(readMixed(served.body()), data);
  auto result = served.body().result();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->size, data.size());
  EXPECT_EQ(result->sha256Hex, sha256(data));
}

TEST(DownloadBodyTest, ByteReadsAndBlockReadsYieldTheBodyOnceThroughAGivenBuffer) {
  const auto data = patterned(100 * 1000 + 3);
  std::vector<char> buffer(512);
  PiecewiseBody served(data, data.size(), buffer);
  EXPECT_EQ(readMixed(served.body()), data);
  auto result = served.body().result();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->sha256Hex, sha256(data));
}

TEST(DownloadBodyTest, ABlockReadFillsTheWholeRequestAcrossSourcePieces) {
  // A short read() would look like the end of the stream to a consumer (eof + fail).
  const auto data = patterned(50 * 1000);
  PiecewiseBody served(data, data.size(), {}, 100);
  std::string got(20 * 1000, '\0');
  served.body().read(got.data(), static_cast<std::streamsize>(got.size()));
  EXPECT_EQ(served.body().gcount(), static_cast<std::streamsize>(got.size()));
  EXPECT_EQ(got, data.substr(0, got.size()));
}

TEST(DownloadBodyTest, ABodyCutShortFailsBlockReadsAndByteReadsAlike) {
  const auto data = patterned(40 * 1000);
  for (const bool byBytes : {false, true}) {
    PiecewiseBody served(data, data.size() + 1, {});
    auto& body = served.body();
    if (byBytes) {
      while (body.get() != std::char_traits<char>::eof()) {
      }
    } else {
      std::vector<char> block(4096);
      while (body) body.read(block.data(), static_cast<std::streamsize>(block.size()));
    }
    EXPECT_TRUE(body.bad()) << (byBytes ? "get" : "read");
    ASSERT_TRUE(body.failure().has_value());
    EXPECT_EQ(body.failure()->code, dms::ErrorCode::DataLoss);
    EXPECT_FALSE(body.result().ok());
  }
}

}  // namespace
}  // namespace ambita::test
