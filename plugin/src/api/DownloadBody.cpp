#include "api/DownloadBody.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <streambuf>
#include <utility>
#include <vector>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/DigestEngine.h>

#include "dms/common/ErrnoMapping.h"
#include "dms/common/UniqueFd.h"

namespace ambita::api {

using dms::ErrorCode;

/// The stream buffer behind DownloadBody: refills from the source, counting and hashing.
class DownloadBody::Buffer final : public std::streambuf {
 public:
  Buffer(ReadSome source, std::span<char> buffer, Limits limits, std::function<bool()> cancelled,
         std::string what)
      : source_(std::move(source)),
        buffer_(buffer),
        limits_(limits),
        cancelled_(std::move(cancelled)),
        what_(std::move(what)) {}

  std::optional<dms::Error> failure;
  std::exception_ptr brokenBy;
  bool ended = false;
  std::uint64_t size = 0;
  std::string sha256Hex;  ///< set at the end of a complete body
  std::optional<std::uint64_t> expectedSize() const { return limits_.expectedSize; }
  // Poco's OpenSSL-backed engine: ~5x the throughput of Poco::SHA2Engine here (1.8 vs
  // 0.36 GiB/s), which otherwise bounds the download speed.
  Poco::Crypto::DigestEngine sha{"SHA256"};

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (ended) return traits_type::eof();
    // Once failed, every later read fails too: a consumer must not see a quiet end.
    if (failure) throw ReadFailed();
    if (cancelled_()) fail(ErrorCode::Cancelled, what_ + ": cancelled");
    std::size_t n = 0;
    try {
      n = source_(buffer_.data(), buffer_.size());
    } catch (...) {
      brokenBy = std::current_exception();
      fail(ErrorCode::Unavailable,
           what_ + ": the connection broke after " + std::to_string(size) + " bytes");
    }
    if (n == 0) return atEnd();
    size += n;
    if (size > limits_.maxBytes) {
      // Only a body without Content-Length gets here: a declared one was checked up front.
      fail(ErrorCode::InvalidArgument,
           what_ +
               ": the file (no Content-Length) grew beyond what ambita.maxDownloadMiB allows (" +
               std::to_string(limits_.maxBytes >> 20) + " MiB); download abandoned");
    }
    sha.update(buffer_.data(), n);
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  /// Thrown out of underflow(): the istream catches it and sets badbit.
  struct ReadFailed : std::exception {
    const char* what() const noexcept override { return "the download failed"; }
  };

  int_type atEnd() {
    if (limits_.expectedSize && size != *limits_.expectedSize)
      fail(ErrorCode::DataLoss, what_ + ": body cut short: got " + std::to_string(size) + " of " +
                                    std::to_string(*limits_.expectedSize) + " bytes");
    ended = true;
    sha256Hex = Poco::DigestEngine::digestToHex(sha.digest());
    return traits_type::eof();
  }

  [[noreturn]] void fail(ErrorCode code, const std::string& message) {
    if (!failure) failure = dms::fail(code, message);
    throw ReadFailed();
  }

  ReadSome source_;
  std::span<char> buffer_;
  Limits limits_;
  std::function<bool()> cancelled_;
  std::string what_;
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
  std::vector<char> buffer(kFileWriteBufferBytes);
  while (body) {
    body.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(body.gcount());
    if (const int err = writeAll(fd.get(), buffer.data(), got))
      return fileError(err, "cannot write");
  }
  if (body.bad())
    return dms::fail(dms::ErrorCode::DataLoss, "the download failed: " + destination.string());
  if (fd.close() != 0) return fileError(errno, "cannot write");
  return {};
}

DownloadBody::DownloadBody(ReadSome source, std::span<char> buffer, Limits limits,
                           std::function<bool()> cancelled, std::string what)
    : std::istream(nullptr),
      buffer_(std::make_unique<Buffer>(std::move(source), buffer, limits, std::move(cancelled),
                                       std::move(what))) {
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
