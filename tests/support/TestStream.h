#pragma once
/// The tests' one content stream (a std::streambuf): what a test hands to put() or a client to
/// read, with events at chosen offsets. Content: fixed bytes, a deterministic pattern of any
/// size made on the fly, an endless fill, or another stream passed through. Events: run an
/// action once when an offset is reached (change the disk mid-put, kill a server, wait at a
/// gate), run one before every chunk from an offset on (trickle), or fail there (it throws,
/// which std::istream turns into badbit, as a broken download or disk does).
///
///   auto content = TestStream::text("from put");
///   content.at(0, [&] { writeFile(root / "race.txt", "appeared meanwhile"); });
///   std::istream in(&content);
///   target->put("race.txt", in, {}, PutMode::CreateNew);
///
/// Chunks never cross an event's offset, so an action runs exactly when that many bytes have
/// been handed out. Not thread-safe (one reader, as a stream).

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

namespace dms::test {

class TestStream final : public std::streambuf {
 public:
  /// Exactly `bytes`.
  static TestStream text(std::string bytes);
  /// `size` bytes of patternByte(0), patternByte(1), ... never all in memory.
  static TestStream pattern(std::uint64_t size);
  /// `fill` without end (give it a failAt() or kill the reader).
  static TestStream endless(char fill);
  /// What `source` yields, read as it goes (`source` must outlive this). Never seekable.
  static TestStream passThrough(std::istream& source);

  /// A stream's position and pending events are its own: not copied.
  TestStream(const TestStream&) = delete;
  TestStream& operator=(const TestStream&) = delete;

  /// The byte at `offset` of pattern().
  static char patternByte(std::uint64_t offset);

  /// Runs `action` once, when `offset` bytes have been handed out (also at the end).
  TestStream& at(std::uint64_t offset, std::function<void()> action);
  /// Runs `action` before every chunk from `offset` on (e.g. a sleep: a slow sender).
  TestStream& beforeEachChunkFrom(std::uint64_t offset, std::function<void()> action);
  /// Throws std::runtime_error(`why`) once `offset` bytes have been handed out; content that
  /// ends earlier throws at its end (with a failAt the stream never ends cleanly).
  TestStream& failAt(std::uint64_t offset, std::string why);
  /// Bytes handed out per read of the underlying content (default 4096).
  TestStream& chunkSize(std::size_t bytes);
  /// Lets readers seek (text and pattern only): a connector can then send a length and rewind.
  TestStream& seekable();

 protected:
  int_type underflow() override;
  pos_type seekoff(off_type offset, std::ios_base::seekdir dir,
                   std::ios_base::openmode which) override;
  pos_type seekpos(pos_type position, std::ios_base::openmode which) override;

 private:
  /// Copies up to `max` bytes of the content at `offset` into `into`; 0 at the end.
  using Content = std::function<std::size_t(std::uint64_t offset, char* into, std::size_t max)>;
  struct Event {
    std::uint64_t offset;
    std::function<void()> action;  ///< empty once run (at()) ; run per chunk (beforeEachChunkFrom)
  };

  TestStream(Content content, std::optional<std::uint64_t> size);
  /// Bytes the next chunk may have: up to the chunk size, the end, and the next event.
  std::uint64_t nextChunkLength() const;

  Content content_;
  std::optional<std::uint64_t> size_;  ///< unset: endless or unknown (passThrough)
  std::vector<Event> once_;
  std::optional<Event> eachChunk_;
  std::optional<std::uint64_t> failAt_;
  std::string failWhy_;
  std::size_t chunkSize_ = 4096;
  bool seekable_ = false;
  std::vector<char> buffer_;
  std::uint64_t end_ = 0;  ///< content offset of egptr()
};

}  // namespace dms::test
