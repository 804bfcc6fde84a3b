// Tests of support/TestStream, the content stream the target and connector tests trust to hand
// out exact bytes and to act (or fail) at exact offsets.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/TestStream.h"

namespace dms::test {
namespace {

struct Read {
  std::string bytes;
  bool failed = false;  ///< badbit: the stream threw
};

/// Reads `stream` to its end as a target does: in pieces of `piece` bytes.
Read readAll(TestStream& stream, std::size_t piece = 1000) {
  std::istream in(&stream);
  Read read;
  std::vector<char> buffer(piece);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
    read.bytes.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
  read.failed = in.bad();
  return read;
}

TEST(TestStream, TextHandsOutExactlyItsBytes) {
  const std::string text(10000, 'q');
  auto stream = TestStream::text(text);
  const auto read = readAll(stream);
  EXPECT_EQ(read.bytes, text);
  EXPECT_FALSE(read.failed);
  auto empty = TestStream::text("");
  EXPECT_EQ(readAll(empty).bytes, "");
}

TEST(TestStream, ActionsRunOnceWhenTheirOffsetIsReached) {
  auto stream = TestStream::text(std::string(10000, 'x'));
  std::vector<std::size_t> seen;  // how many bytes the reader had when each action ran
  std::istream in(&stream);
  std::string got;
  stream.at(0, [&] { seen.push_back(got.size()); })
      .at(4097, [&] { seen.push_back(got.size()); })
      .at(10000, [&] { seen.push_back(got.size()); });
  for (char c; in.get(c);) got.push_back(c);
  EXPECT_EQ(got.size(), 10000u);
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 4097, 10000}));
}

TEST(TestStream, FailsAtItsOffsetAndAtAnEarlierEnd) {
  auto cut = TestStream::text(std::string(5000, 'a'));
  cut.failAt(1234, "cut");
  const auto read = readAll(cut, 1);
  EXPECT_EQ(read.bytes, std::string(1234, 'a'));
  EXPECT_TRUE(read.failed);

  std::istringstream shortSource("abc");
  auto passed = TestStream::passThrough(shortSource);
  passed.failAt(10, "cut");
  const auto all = readAll(passed, 1);
  EXPECT_EQ(all.bytes, "abc");
  EXPECT_TRUE(all.failed) << "a source shorter than the failure offset must still fail";
}

TEST(TestStream, PatternIsSeekableOnlyWhenAsked) {
  auto fixed = TestStream::pattern(100000);
  fixed.seekable();
  std::istream in(&fixed);
  in.seekg(0, std::ios::end);
  EXPECT_EQ(in.tellg(), std::streampos(100000));
  in.seekg(70000);
  char c = 0;
  ASSERT_TRUE(in.get(c));
  EXPECT_EQ(c, TestStream::patternByte(70000));

  auto unseekable = TestStream::pattern(10);
  std::istream other(&unseekable);
  EXPECT_EQ(other.tellg(), std::streampos(-1));
}

TEST(TestStream, EndlessRunsItsChunkActionFromItsOffset) {
  auto stream = TestStream::endless('z');
  int chunksAfter = 0;
  stream.chunkSize(10).beforeEachChunkFrom(30, [&] { ++chunksAfter; }).failAt(60, "enough");
  const auto read = readAll(stream, 1);
  EXPECT_EQ(read.bytes, std::string(60, 'z'));
  EXPECT_TRUE(read.failed);
  EXPECT_EQ(chunksAfter, 4);  // before the chunks at 30, 40 and 50, and before failing at 60
}

}  // namespace
}  // namespace dms::test
