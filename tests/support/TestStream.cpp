#include "support/TestStream.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace dms::test {

TestStream::TestStream(Content content, std::optional<std::uint64_t> size)
    : content_(std::move(content)), size_(size) {}

TestStream TestStream::text(std::string bytes) {
  const std::uint64_t size = bytes.size();
  return TestStream(
      [bytes = std::move(bytes)](std::uint64_t offset, char* into, std::size_t max) {
        const std::size_t n = std::min<std::uint64_t>(max, bytes.size() - offset);
        std::memcpy(into, bytes.data() + offset, n);
        return n;
      },
      size);
}

TestStream TestStream::pattern(std::uint64_t size) {
  return TestStream(
      [](std::uint64_t offset, char* into, std::size_t max) {
        for (std::size_t k = 0; k < max; ++k) into[k] = patternByte(offset + k);
        return max;  // nextChunkLength() keeps reads within the size
      },
      size);
}

TestStream TestStream::endless(char fill) {
  return TestStream(
      [fill](std::uint64_t, char* into, std::size_t max) {
        std::memset(into, fill, max);
        return max;
      },
      std::nullopt);
}

TestStream TestStream::passThrough(std::istream& source) {
  return TestStream(
      [&source](std::uint64_t, char* into, std::size_t max) {
        source.read(into, static_cast<std::streamsize>(max));
        return static_cast<std::size_t>(std::max<std::streamsize>(source.gcount(), 0));
      },
      std::nullopt);
}

char TestStream::patternByte(std::uint64_t i) {
  return static_cast<char>(((i ^ (i >> 8) ^ (i >> 17)) * 31 + 7) & 0xFF);
}

TestStream& TestStream::at(std::uint64_t offset, std::function<void()> action) {
  once_.push_back({offset, std::move(action)});
  return *this;
}

TestStream& TestStream::beforeEachChunkFrom(std::uint64_t offset, std::function<void()> action) {
  eachChunk_ = Event{offset, std::move(action)};
  return *this;
}

TestStream& TestStream::failAt(std::uint64_t offset, std::string why) {
  failAt_ = offset;
  failWhy_ = std::move(why);
  return *this;
}

TestStream& TestStream::chunkSize(std::size_t bytes) {
  chunkSize_ = std::max<std::size_t>(bytes, 1);
  return *this;
}

TestStream& TestStream::seekable() {
  seekable_ = size_.has_value();
  return *this;
}

std::uint64_t TestStream::nextChunkLength() const {
  std::uint64_t length = chunkSize_;
  const auto upTo = [&](std::uint64_t offset) {
    if (offset > end_) length = std::min(length, offset - end_);
  };
  if (size_) length = std::min(length, *size_ - std::min(*size_, end_));
  for (const auto& event : once_)
    if (event.action) upTo(event.offset);
  if (eachChunk_) upTo(eachChunk_->offset);
  if (failAt_) upTo(*failAt_);
  return length;
}

TestStream::int_type TestStream::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  for (auto& event : once_)
    if (event.action && end_ >= event.offset) std::exchange(event.action, nullptr)();
  if (eachChunk_ && end_ >= eachChunk_->offset) eachChunk_->action();
  if (failAt_ && end_ >= *failAt_) throw std::runtime_error(failWhy_);
  const std::uint64_t length = nextChunkLength();
  buffer_.resize(chunkSize_);
  const std::size_t got = length == 0 ? 0 : content_(end_, buffer_.data(), length);
  if (got == 0) {
    if (failAt_) throw std::runtime_error(failWhy_ + " (the content ended first)");
    return traits_type::eof();
  }
  end_ += got;
  setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
  return traits_type::to_int_type(buffer_[0]);
}

TestStream::pos_type TestStream::seekoff(off_type offset, std::ios_base::seekdir dir,
                                         std::ios_base::openmode which) {
  if (!seekable_) return pos_type(off_type(-1));
  const std::uint64_t current = end_ - static_cast<std::uint64_t>(egptr() - gptr());
  const std::int64_t base = dir == std::ios_base::beg   ? 0
                            : dir == std::ios_base::cur ? static_cast<std::int64_t>(current)
                                                        : static_cast<std::int64_t>(*size_);
  return seekpos(pos_type(base + offset), which);
}

TestStream::pos_type TestStream::seekpos(pos_type position, std::ios_base::openmode) {
  if (!seekable_ || position < 0 || static_cast<std::uint64_t>(off_type(position)) > *size_)
    return pos_type(off_type(-1));
  end_ = static_cast<std::uint64_t>(off_type(position));
  setg(nullptr, nullptr, nullptr);
  return position;
}

}  // namespace dms::test
