#include "api/DownloadBody.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <streambuf>
#include <system_error>
#include <utility>

#include "dms/common/ErrnoMapping.h"
#include "dms/common/UniqueFd.h"

namespace ambita::api {

using dms::ErrorCode;

/// The stream buffer behind DownloadBody: refills from the source, counting and hashing.
class DownloadBody::Buffer final : public std::streambuf {
 public:
  Buffer(ReadSome source, std::span<char> buffer, Limits limits, std::function<bool()> cancelled,
         std::string what, const Sha256Method& sha256, HashAside aside)
      : sha(sha256),
        source_(std::move(source)),
        buffer_(buffer),
        limits_(limits),
        cancelled_(std::move(cancelled)),
        what_(std::move(what)),
        aside_(aside),
        hashAside_(limits.expectedSize && *limits.expectedSize >= aside.fromBytes) {}

  std::optional<dms::Error> failure;
  std::exception_ptr brokenBy;
  bool ended = false;
  std::uint64_t size = 0;
  std::string sha256Hex;  ///< set at the end of a complete body
  std::optional<std::uint64_t> expectedSize() const { return limits_.expectedSize; }
  // OpenSSL's: ~5x the throughput of Poco::SHA2Engine here (1.8 vs 0.36 GiB/s), which
  // otherwise bounds the download speed.
  Sha256 sha;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (hashingAside()) {
      if (fillSlot() == 0) return traits_type::eof();
      return traits_type::to_int_type(*gptr());
    }
    if (buffer_.empty()) {
      // Only a consumer reading a byte at a time (get, ignore) or copying this stream buffer
      // (`out << body.rdbuf()`, which writes from our get area) gets here: read() is served by
      // xsgetn below, straight into the consumer's own buffer.
      ownBuffer_ = std::make_unique_for_overwrite<char[]>(kOwnBufferBytes);
      buffer_ = {ownBuffer_.get(), kOwnBufferBytes};
    }
    // Filled whole (or to the body's end), as read() fills the consumer's: a copying consumer
    // writes a buffer at a time, not a receive at a time.
    std::size_t n = 0;
    while (n < buffer_.size()) {
      const std::size_t got = fill(buffer_.data() + n, buffer_.size() - n);
      if (got == 0) break;
      n += got;
    }
    if (n == 0) return traits_type::eof();
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

  /// read(): what the buffer still holds, then the rest straight from the source into the
  /// consumer's buffer (hashed there), with no copy through ours. A body hashed aside is copied
  /// out of the pipeline's slots instead (std::streambuf's own xsgetn, refilling by underflow).
  std::streamsize xsgetn(char* into, std::streamsize wanted) override {
    if (hashingAside()) return std::streambuf::xsgetn(into, wanted);
    std::streamsize done = std::min<std::streamsize>(wanted, egptr() - gptr());
    if (done > 0) {
      std::memcpy(into, gptr(), static_cast<std::size_t>(done));
      gbump(static_cast<int>(done));
    }
    while (done < wanted) {
      const std::size_t n = fill(into + done, static_cast<std::size_t>(wanted - done));
      if (n == 0) break;
      done += static_cast<std::streamsize>(n);
    }
    return done;
  }

 private:
  /// Thrown out of underflow(): the istream catches it and sets badbit.
  struct ReadFailed : std::exception {
    const char* what() const noexcept override { return "the download failed"; }
  };

  /// Reads the next bytes of the body into `into` (up to `capacity`), counting and hashing
  /// them; 0 at the end of a complete body. Throws ReadFailed (after recording why) when the
  /// body fails, and again on every later call: a consumer must not see a quiet end.
  std::size_t fill(char* into, std::size_t capacity) {
    if (ended) return 0;
    if (failure) throw ReadFailed();
    const std::size_t n = receive(into, capacity);
    if (n == 0) {
      atEnd();
      return 0;
    }
    sha.update(into, n);
    return n;
  }

  /// fill() for a body hashed aside: receives the next slot of the pipeline whole (or up to the
  /// body's end), hands it to the hasher and makes it the get area; 0 at the end of a complete
  /// body, once every byte is hashed. Throws ReadFailed as fill() does; a failure on either
  /// side ends both (the pipeline's thread stops with the body).
  std::size_t fillSlot() {
    if (ended) return 0;
    if (failure) throw ReadFailed();
    const std::span<char> slot = pipeline_->acquire();
    if (slot.empty()) fail(ErrorCode::Internal, what_ + ": " + pipeline_->error());
    std::size_t filled = 0;
    while (filled < slot.size() && !sourceEnded_) {
      const std::size_t n = receive(slot.data() + filled, slot.size() - filled);
      if (n == 0) sourceEnded_ = true;
      filled += n;
    }
    if (filled > 0) {
      pipeline_->submit(filled);
      setg(slot.data(), slot.data(), slot.data() + filled);
      return filled;
    }
    if (!pipeline_->drain()) fail(ErrorCode::Internal, what_ + ": " + pipeline_->error());
    endPipeline();
    atEnd();
    return 0;
  }

  /// Whether this body is hashed aside. The pipeline's thread starts at the first need (a body
  /// never read starts none); where no thread can start, the body is hashed on the reading
  /// thread as a small one is.
  bool hashingAside() {
    if (!hashAside_ || pipeline_ || ended || failure) return hashAside_;
    if (aside_.running) {
      if (aside_.running->fetch_add(1) >= aside_.mostAtOnce) {
        aside_.running->fetch_sub(1);
        hashAside_ = false;  // the client's places are taken: hashed here, as a small body
        return false;
      }
      place_.reset(aside_.running);
    }
    try {
      pipeline_ = std::make_unique<HashPipeline>(sha, aside_.shape);
    } catch (const std::system_error&) {
      place_.reset();
      hashAside_ = false;
    }
    return hashAside_;
  }

  /// Ends the pipeline's thread once the body ended or failed: no thread waits out the rest of
  /// the consumer's work. The get area pointed into its slots.
  void endPipeline() {
    setg(nullptr, nullptr, nullptr);
    pipeline_.reset();
    place_.reset();
  }

  /// Up to `capacity` bytes from the source, counted against the limits; 0 at its end. Checks
  /// for cancellation first.
  std::size_t receive(char* into, std::size_t capacity) {
    if (cancelled_()) fail(ErrorCode::Cancelled, what_ + ": cancelled");
    std::size_t n = 0;
    try {
      n = source_(into, capacity);
    } catch (...) {
      brokenBy = std::current_exception();
      fail(ErrorCode::Unavailable,
           what_ + ": the connection broke after " + std::to_string(size) + " bytes");
    }
    size += n;
    if (size > limits_.maxBytes) {
      // Only a body without Content-Length gets here: a declared one was checked up front.
      fail(ErrorCode::InvalidArgument,
           what_ +
               ": the file (no Content-Length) grew beyond what ambita.maxDownloadMiB allows (" +
               std::to_string(limits_.maxBytes >> 20) + " MiB); download abandoned");
    }
    return n;
  }

  void atEnd() {
    if (limits_.expectedSize && size != *limits_.expectedSize)
      fail(ErrorCode::DataLoss, what_ + ": body cut short: got " + std::to_string(size) + " of " +
                                    std::to_string(*limits_.expectedSize) + " bytes");
    ended = true;
    sha256Hex = sha.hex();
  }

  [[noreturn]] void fail(ErrorCode code, const std::string& message) {
    if (!failure) failure = dms::fail(code, message);
    endPipeline();
    throw ReadFailed();
  }

  /// The buffer a byte-at-a-time consumer reads through when the caller gave none.
  static constexpr std::size_t kOwnBufferBytes = 64 * 1024;

  ReadSome source_;
  std::span<char> buffer_;
  std::unique_ptr<char[]> ownBuffer_;
  Limits limits_;
  std::function<bool()> cancelled_;
  std::string what_;
  HashAside aside_;
  bool hashAside_;
  bool sourceEnded_ = false;
  /// The place this body holds among its client's bodies hashed aside (HashAside::running),
  /// given back when the pipeline ends.
  struct GiveBack {
    void operator()(std::atomic<int>* running) const noexcept { running->fetch_sub(1); }
  };
  std::unique_ptr<std::atomic<int>, GiveBack> place_;
  /// After `sha` and `place_`, so destroyed (its thread joined) before the hash it feeds and
  /// before its place is given back.
  std::unique_ptr<HashPipeline> pipeline_;
};

namespace {

constexpr std::size_t kFileWriteBufferBytes = 256 * 1024;

/// 0, or the errno of the write that failed.
int writeAll(int fd, const char* data, std::size_t size) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t w = ::write(fd, data + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    done += static_cast<std::size_t>(w);
  }
  return 0;
}

}  // namespace

dms::Status saveTo(DownloadBody& body, const std::filesystem::path& destination,
                   std::string_view head) {
  const auto fileError = [&](int err, const std::string& action) {
    return dms::Status(dms::common::errnoError(err, action, destination.string()));
  };
  dms::common::UniqueFd fd(
      ::open(destination.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return fileError(errno, "cannot open");
  if (const int err = writeAll(fd.get(), head.data(), head.size()))
    return fileError(err, "cannot write");
  // Not zeroed: the body is read into it (a 256 KiB memset per download showed in profiles).
  const auto buffer = std::make_unique_for_overwrite<char[]>(kFileWriteBufferBytes);
  while (body) {
    body.read(buffer.get(), static_cast<std::streamsize>(kFileWriteBufferBytes));
    const auto got = static_cast<std::size_t>(body.gcount());
    if (const int err = writeAll(fd.get(), buffer.get(), got))
      return fileError(err, "cannot write");
  }
  if (body.bad())
    return dms::fail(dms::ErrorCode::DataLoss, "the download failed: " + destination.string());
  if (fd.close() != 0) return fileError(errno, "cannot write");
  return {};
}

DownloadBody::DownloadBody(ReadSome source, std::span<char> buffer, Limits limits,
                           std::function<bool()> cancelled, std::string what,
                           const Sha256Method& sha256, HashAside aside)
    : std::istream(nullptr),
      buffer_(std::make_unique<Buffer>(std::move(source), buffer, limits, std::move(cancelled),
                                       std::move(what), sha256, aside)) {
  rdbuf(buffer_.get());
}

DownloadBody::~DownloadBody() = default;

const std::optional<dms::Error>& DownloadBody::failure() const {
  return buffer_->failure;
}

std::exception_ptr DownloadBody::brokenBy() const {
  return buffer_->brokenBy;
}

bool DownloadBody::complete() const {
  return buffer_->ended && !buffer_->failure;
}

std::optional<std::uint64_t> DownloadBody::expectedSize() const {
  return buffer_->expectedSize();
}

dms::Result<Download> DownloadBody::result() const {
  if (buffer_->failure) return *buffer_->failure;
  if (!buffer_->ended)
    return dms::fail(ErrorCode::Internal, "the download's body was not read to its end");
  return Download{buffer_->size, buffer_->sha256Hex};
}

}  // namespace ambita::api
