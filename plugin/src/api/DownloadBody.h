#pragma once
/// One download attempt's body as a stream, handed to whoever consumes it (a target's put, or a
/// file): the bytes are counted and hashed (SHA-256) on the way. read() receives them straight
/// into the consumer's buffer; a consumer reading a byte at a time (get, ignore) reads through
/// one fixed buffer. Rather than end quietly, the stream fails (badbit; the exception stays inside
/// the istream) when the body is cut short (fewer bytes than its Content-Length), grows beyond the
/// size limit, the connection breaks or the download is cancelled; failure() then says which.
/// result() gives size and SHA-256 once the body was read to its end without failure, so
/// metadata naming them can only be made for a complete body.
///
/// A body declared big (HashAside::fromBytes) is hashed on a second thread (HashPipeline): it is
/// received a slot at a time into the pipeline's ring, hashed there in order, and read() copies
/// it out of the slot; a consumer copying the stream buffer instead (`out << body.rdbuf()`, the
/// filesystem connector) writes from the slot itself, while the hasher reads it. The thread ends
/// with the body.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api/HashPipeline.h"
#include "api/Model.h"
#include "api/Sha256.h"
#include "dms/Error.h"

namespace ambita::api {

/// When a download's body is hashed aside (HashPipeline). Below `fromBytes`, and without a
/// Content-Length, the hash runs on the reading thread: small files (row 1, the scale row) keep
/// their path, with no thread to start and no ring to fill; 8 MiB takes milliseconds to
/// receive, a thread's start tens of microseconds.
///
/// At most `mostAtOnce` bodies sharing `running` (a client's downloads) are hashed aside at once;
/// the others hash on their reading thread. The second thread pays off when one big body is
/// received alone (row 3): with several downloads in flight their threads already hash side by
/// side, and each ring is memory (shape.slots x shape.slotBytes), which `filing.concurrency`
/// must not multiply (peak RSS stays flat).
struct HashAside {
  std::uint64_t fromBytes = 8ULL << 20;
  HashPipeline::Shape shape;
  std::atomic<int>* running = nullptr;  ///< none: no cap
  int mostAtOnce = 1;
};

class DownloadBody final : public std::istream {
 public:
  /// Reads up to `size` bytes of the body into `into`; 0 at its end. May throw (a broken
  /// connection, a read timeout): the exception is kept, see brokenBy().
  using ReadSome = std::function<std::size_t(char* into, std::size_t size)>;
  struct Limits {
    std::optional<std::uint64_t> expectedSize;  ///< Content-Length, when the server sent one
    std::uint64_t maxBytes = 0;                 ///< more is refused (ambita.maxDownloadMiB)
  };

  /// `buffer` (for byte-at-a-time reads) must outlive the body; empty: the body makes one on
  /// first need. `what` names the download in messages ("download https://…/assets/1");
  /// `cancelled` is asked before every read from the source. `sha256` (OpenSSL's implementation,
  /// looked up once by the caller) must outlive the body.
  DownloadBody(ReadSome source, std::span<char> buffer, Limits limits,
               std::function<bool()> cancelled, std::string what, const Sha256Method& sha256,
               HashAside aside = {});
  ~DownloadBody() override;
  DownloadBody(const DownloadBody&) = delete;
  DownloadBody& operator=(const DownloadBody&) = delete;

  /// Why reading stopped early: DataLoss (cut short), InvalidArgument (beyond maxBytes),
  /// Cancelled, Unavailable (the connection broke: brokenBy() holds the exception).
  const std::optional<dms::Error>& failure() const;
  /// The exception the source threw, if that is what stopped reading.
  std::exception_ptr brokenBy() const;
  /// The body was read to its end without failure.
  bool complete() const;
  /// Size and SHA-256 of a complete body; otherwise the failure, or Internal when the consumer
  /// stopped reading before the end.
  dms::Result<Download> result() const;
  /// The Content-Length the server declared, if any (the body fails unless it has exactly so
  /// many bytes): lets a consumer size a buffer before reading.
  std::optional<std::uint64_t> expectedSize() const;

 private:
  class Buffer;
  std::unique_ptr<Buffer> buffer_;
};

/// Copies the body into `destination` (created or truncated), after `head`: bytes of the body
/// the caller already read from it. DataLoss when the body fails midway (body.failure() says
/// why); a file error (InsufficientStorage: disk full) names it.
dms::Status saveTo(DownloadBody& body, const std::filesystem::path& destination,
                   std::string_view head = {});

}  // namespace ambita::api
