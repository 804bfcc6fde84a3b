// DownloadBody on its own: whichever way a consumer reads it (byte by byte through the body's
// buffer, or read() straight into its own), it yields the source's bytes exactly once, in
// order, and size and SHA-256 describe exactly those bytes; a body cut short fails whichever
// way it is read. The same for a body hashed aside (HashAside: on a second thread, through a
// ring of slots), whose thread ends with the body however it ends.

#include <gtest/gtest.h>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
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
/// delivers what has arrived, not what was asked for), declaring `declared` bytes. With
/// `breakAfter`, the source throws (a connection reset) once that many bytes were served.
class PiecewiseBody {
 public:
  PiecewiseBody(std::string served, std::uint64_t declared, std::span<char> buffer,
                std::size_t piece = 1000, api::HashAside aside = {},
                std::optional<std::size_t> breakAfter = std::nullopt)
      : served_(std::move(served)),
        body_(
            [this, piece, breakAfter](char* into, std::size_t size) {
              if (breakAfter && static_cast<std::size_t>(served_.tellg()) >= *breakAfter)
                throw std::runtime_error("Connection reset by peer");
              const auto n = static_cast<std::size_t>(served_.rdbuf()->sgetn(
                  into, static_cast<std::streamsize>(std::min(size, piece))));
              return n;
            },
            buffer, {declared, 1ULL << 40}, [this] { return cancelled.load(); }, "download test",
            sha256_, aside) {}
  api::DownloadBody& body() { return body_; }
  std::atomic<bool> cancelled{false};

 private:
  std::istringstream served_;
  api::Sha256Method sha256_;
  api::DownloadBody body_;
};

/// Every body hashed aside, through a ring of `slots` slots of `slotBytes`.
api::HashAside asideAlways(std::size_t slots, std::size_t slotBytes) {
  return {1, {slots, slotBytes}};
}

/// The pipeline's hashing threads running in this process now (by name: a sanitizer's or the
/// runtime's own threads come and go on their own).
std::size_t threadCount() {
  std::size_t named = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name == api::HashPipeline::kThreadName) ++named;
  }
  return named;
}

/// threadCount() once it is `expected`, or what it is after 2 s: a joined thread's entry in /proc
/// goes a moment after join() returned (the kernel reaps the task after waking the joiner).
std::size_t threadCountOnceAt(std::size_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::size_t now = threadCount();
  while (now != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    now = threadCount();
  }
  return now;
}

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

/// readMixed() yields exactly `data`, and the body's result is its size and SHA-256.
void expectWholeBody(api::DownloadBody& body, const std::string& data) {
  EXPECT_EQ(readMixed(body), data);
  auto result = body.result();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->size, data.size());
  EXPECT_EQ(result->sha256Hex, sha256(data));
}

TEST(DownloadBodyTest, ByteReadsAndBlockReadsYieldTheBodyOnceAndItsHashWithoutAGivenBuffer) {
  const auto data = patterned(300 * 1000 + 17);
  PiecewiseBody served(data, data.size(), {});
  expectWholeBody(served.body(), data);
}

TEST(DownloadBodyTest, ByteReadsAndBlockReadsYieldTheBodyOnceThroughAGivenBuffer) {
  const auto data = patterned(100 * 1000 + 3);
  std::vector<char> buffer(512);
  PiecewiseBody served(data, data.size(), buffer);
  expectWholeBody(served.body(), data);
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

// Issue 15 row 3: a body hashed aside yields the same bytes and hash however it is read, through
// rings that wrap hundreds of times, with slots the source fills across its pieces and the body
// not a multiple of a slot. A slot reused before it was hashed, hashed twice or out of order
// would give another hash than the oracle's.
TEST(DownloadBodyTest, ABodyHashedAsideYieldsItsBytesOnceAndTheirHashThroughASmallRing) {
  const auto data = patterned(300 * 1000 + 17);
  for (const auto& [slots, slotBytes, piece] :
       {std::tuple{2u, 1000u, 1000u}, std::tuple{3u, 4096u, 777u}, std::tuple{4u, 65536u, 5000u}}) {
    SCOPED_TRACE(std::to_string(slots) + " slots of " + std::to_string(slotBytes) + ", pieces of " +
                 std::to_string(piece));
    PiecewiseBody served(data, data.size(), {}, piece, asideAlways(slots, slotBytes));
    expectWholeBody(served.body(), data);
  }
}

TEST(DownloadBodyTest, ABodyHashedAsideIsHashedOnASecondThreadThatEndsWithTheBody) {
  const auto data = patterned(200 * 1000);
  const std::size_t before = threadCountOnceAt(0);
  PiecewiseBody served(data, data.size(), {}, 1000, asideAlways(2, 8192));
  EXPECT_EQ(threadCountOnceAt(before), before) << "a body not read yet started a thread";
  std::vector<char> block(1000);
  served.body().read(block.data(), static_cast<std::streamsize>(block.size()));
  EXPECT_EQ(threadCountOnceAt(before + 1), before + 1)
      << "the big body is not hashed on a thread of its own";
  served.body().ignore(std::numeric_limits<std::streamsize>::max());
  EXPECT_TRUE(served.body().eof());
  EXPECT_EQ(threadCountOnceAt(before), before) << "the hashing thread outlived the body's end";
  auto result = served.body().result();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->sha256Hex, sha256(data));
}

// A client's bodies hashed aside are capped (HashAside::mostAtOnce): a big body read while
// another holds the only place hashes on its reading thread (no second ring, no second thread:
// peak RSS does not grow with filing.concurrency), and the place is free again after the first
// body's end.
TEST(DownloadBodyTest, BodiesHashedAsideAtOnceAreCappedAndThePlaceIsGivenBack) {
  const auto first = patterned(200 * 1000);
  const auto second = patterned(150 * 1000 + 7);
  std::atomic<int> running{0};
  api::HashAside capped = asideAlways(2, 8192);
  capped.running = &running;
  const std::size_t before = threadCountOnceAt(0);
  std::vector<char> block(1000);
  {
    PiecewiseBody a(first, first.size(), {}, 1000, capped);
    PiecewiseBody b(second, second.size(), {}, 1000, capped);
    a.body().read(block.data(), static_cast<std::streamsize>(block.size()));
    b.body().read(block.data(), static_cast<std::streamsize>(block.size()));
    EXPECT_EQ(running.load(), 1);
    EXPECT_EQ(threadCountOnceAt(before + 1), before + 1)
        << "a second body got a hashing thread past the cap";
    b.body().ignore(std::numeric_limits<std::streamsize>::max());
    a.body().ignore(std::numeric_limits<std::streamsize>::max());
    EXPECT_EQ(running.load(), 0) << "the place was not given back at the body's end";
    auto ra = a.body().result();
    auto rb = b.body().result();
    ASSERT_TRUE(ra.ok()) << ra.error().message;
    ASSERT_TRUE(rb.ok()) << rb.error().message;
    EXPECT_EQ(ra->sha256Hex, sha256(first));
    EXPECT_EQ(rb->sha256Hex, sha256(second));
  }
  {
    PiecewiseBody c(second, second.size(), {}, 1000, capped);
    c.body().read(block.data(), static_cast<std::streamsize>(block.size()));
    EXPECT_EQ(threadCountOnceAt(before + 1), before + 1)
        << "the freed place was not taken by the next body";
  }
  EXPECT_EQ(running.load(), 0) << "a body destroyed mid-read kept its place";
  EXPECT_EQ(threadCountOnceAt(before), before);
}

// Small files keep the reading thread's hash: no thread, no ring (row 1 and the scale row).
TEST(DownloadBodyTest, ABodyBelowTheThresholdIsHashedOnTheReadingThread) {
  const auto data = patterned(100 * 1000);
  const std::size_t before = threadCountOnceAt(0);
  PiecewiseBody served(data, data.size(), {}, 1000, {data.size() + 1, {2, 1024}});
  std::vector<char> block(1000);
  served.body().read(block.data(), static_cast<std::streamsize>(block.size()));
  EXPECT_EQ(threadCountOnceAt(before), before);
  served.body().ignore(std::numeric_limits<std::streamsize>::max());
  auto result = served.body().result();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->sha256Hex, sha256(data));
}

/// Reads `body` with read() until it stops; the bytes it yielded.
std::string readBlocks(api::DownloadBody& body) {
  std::string out;
  std::vector<char> block(4096);
  while (body) {
    body.read(block.data(), static_cast<std::streamsize>(block.size()));
    out.append(block.data(), static_cast<std::size_t>(body.gcount()));
  }
  return out;
}

TEST(DownloadBodyTest, ABodyHashedAsideCutShortFailsAndEndsItsThread) {
  const auto data = patterned(100 * 1000 + 5);
  const std::size_t before = threadCountOnceAt(0);
  PiecewiseBody served(data, data.size() + 1, {}, 1000, asideAlways(3, 4096));
  auto& body = served.body();
  const std::string got = readBlocks(body);
  EXPECT_TRUE(body.bad()) << "a cut-short body ended like a complete one";
  EXPECT_EQ(data.substr(0, got.size()), got);
  ASSERT_TRUE(body.failure().has_value());
  EXPECT_EQ(body.failure()->code, dms::ErrorCode::DataLoss);
  EXPECT_NE(body.failure()->message.find("cut short: got 100005 of 100006"), std::string::npos)
      << body.failure()->message;
  EXPECT_FALSE(body.result().ok());
  EXPECT_EQ(threadCountOnceAt(before), before);
}

TEST(DownloadBodyTest, ABodyHashedAsideWhoseConnectionBreaksFailsAndEndsItsThread) {
  const auto data = patterned(100 * 1000);
  const std::size_t before = threadCountOnceAt(0);
  PiecewiseBody served(data, data.size(), {}, 1000, asideAlways(3, 4000), 50 * 1000);
  auto& body = served.body();
  const std::string got = readBlocks(body);
  EXPECT_TRUE(body.bad());
  EXPECT_LE(got.size(), 50u * 1000);
  EXPECT_EQ(data.substr(0, got.size()), got);
  ASSERT_TRUE(body.failure().has_value());
  EXPECT_EQ(body.failure()->code, dms::ErrorCode::Unavailable);
  EXPECT_NE(body.failure()->message.find("the connection broke after 50000 bytes"),
            std::string::npos)
      << body.failure()->message;
  EXPECT_TRUE(body.brokenBy());
  EXPECT_FALSE(body.result().ok());
  EXPECT_EQ(threadCountOnceAt(before), before);
}

TEST(DownloadBodyTest, ABodyHashedAsideStopsWhenCancelledAndEndsItsThread) {
  const auto data = patterned(100 * 1000);
  const std::size_t before = threadCountOnceAt(0);
  PiecewiseBody served(data, data.size(), {}, 1000, asideAlways(3, 4096));
  auto& body = served.body();
  std::vector<char> block(10 * 1000);
  body.read(block.data(), static_cast<std::streamsize>(block.size()));
  ASSERT_TRUE(body.good());
  served.cancelled = true;
  readBlocks(body);
  EXPECT_TRUE(body.bad());
  ASSERT_TRUE(body.failure().has_value());
  EXPECT_EQ(body.failure()->code, dms::ErrorCode::Cancelled);
  EXPECT_FALSE(body.result().ok());
  EXPECT_EQ(threadCountOnceAt(before), before);
}

/// Where a consumer copying the body's stream buffer (`out << body.rdbuf()`, as the filesystem
/// connector writes a download) puts the bytes: kept, with the size of every bulk hand-over.
class RecordingSink final : public std::streambuf {
 public:
  std::string bytes;
  std::vector<std::size_t> handOvers;

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    bytes.append(data, static_cast<std::size_t>(size));
    handOvers.push_back(static_cast<std::size_t>(size));
    return size;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) bytes += traits_type::to_char_type(c);
    return traits_type::not_eof(c);
  }
};

// Issue 15 row 3: the filesystem connector writes a body from its own buffer (the ring slot, or
// the plain body's buffer). It gets the bytes once, in order, with their hash, and a buffer at
// a time (whole slots; the plain body's 64 KiB filled across the source's pieces), not a
// network receive at a time: a write a receive would multiply a file's write calls.
TEST(DownloadBodyTest, CopyingTheStreamBufferYieldsTheBodyAndItsHashAWholeBufferAtATime) {
  const auto data = patterned(300 * 1000 + 17);
  api::HashAside never;
  never.fromBytes = std::numeric_limits<std::uint64_t>::max();
  for (const auto& [aside, buffer] :
       {std::tuple{false, std::size_t{64 * 1024}}, std::tuple{true, std::size_t{16 * 1024}}}) {
    SCOPED_TRACE(aside ? "hashed aside" : "plain");
    PiecewiseBody served(data, data.size(), {}, 1000, aside ? asideAlways(3, buffer) : never);
    RecordingSink sink;
    std::ostream out(&sink);
    out << served.body().rdbuf();
    EXPECT_EQ(sink.bytes, data);
    ASSERT_FALSE(sink.handOvers.empty());
    for (std::size_t i = 0; i + 1 < sink.handOvers.size(); ++i)
      EXPECT_EQ(sink.handOvers[i], buffer) << "hand-over " << i;
    auto result = served.body().result();
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->sha256Hex, sha256(data));
  }
}

}  // namespace
}  // namespace ambita::test
