#pragma once
/// The body of a `Transfer-Encoding: chunked` answer, decoded strictly (RFC 9112 7.1): chunk-size
/// lines (hex size, optional extensions, CRLF or a bare LF), each chunk's data and its line end,
/// the last chunk `0`, optional trailer fields, the final empty line. Poco 1.11's
/// HTTPChunkedStreamBuf ends a body quietly when the connection closes before its last chunk,
/// so a cut body passed for the whole one; here a connection that ends anywhere before the final
/// empty line, or a malformed or over-long line, throws ChunkedBodyCut: the caller treats it as a
/// body cut short (failed, retried where that is retried, never filed).
///
/// Reads straight from the lease's session in place of Poco's response stream (use one or the
/// other): the framing byte by byte out of the session's buffer (not counted as body bytes, so
/// size lines do not feed ConnectionAborter's low-speed limit), the data with
/// Lease::receiveBody (counted), straight into the reader's buffer. After a body read to its
/// end (complete()), the connection is positioned at the next response and may be reused.
/// The lease must outlive the body. One reader at a time.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <streambuf>
#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPResponse.h>

#include "dms/http/SessionPool.h"

namespace dms::http {

/// A chunked body that ended before its final empty line or broke its framing.
POCO_DECLARE_EXCEPTION(, ChunkedBodyCut, Poco::IOException)

class ChunkedBody final : public std::streambuf {
 public:
  /// A size line, or a trailer field, longer than this is refused (a peer must not make the
  /// reader buffer or wait without bound for a line's end).
  static constexpr std::size_t kMaxLineBytes = 4096;
  /// At most this many trailer fields (bytes and count bound what the end of a body can take).
  static constexpr int kMaxTrailerFields = 32;

  explicit ChunkedBody(SessionPool::Lease& lease);

  /// True once the last chunk and the trailers were read: the body is whole.
  bool complete() const { return state_ == State::Done; }
  /// Why the body failed ("" unless it did): the ChunkedBodyCut's message, for a reader whose
  /// istream swallowed the exception.
  const std::string& failure() const { return failure_; }

 protected:
  /// One receive at most into the body's own small buffer (sgetc, in_avail).
  int_type underflow() override;
  /// What the buffer holds, then straight into `into`; short only at the body's end.
  std::streamsize xsgetn(char* into, std::streamsize wanted) override;

 private:
  enum class State { Size, Data, Done, Failed };
  /// Up to `capacity` body bytes, at most one receive of data; 0 at the body's end.
  std::size_t readSome(char* into, std::size_t capacity);
  /// The next line of framing without its CRLF or LF; throws at the connection's end or past
  /// kMaxLineBytes. `what` names the line in the error.
  const std::string& readLine(const char* what);
  void readSizeLine();
  void readTrailers();
  /// Fails the body (and every later read of it) with `why`.
  [[noreturn]] void cut(const std::string& why);

  SessionPool::Lease& lease_;
  State state_ = State::Size;
  std::uint64_t chunkLeft_ = 0;
  std::uint64_t bytes_ = 0;
  std::string failure_;
  std::string line_;
  char buffer_[4096];
};

/// The body of the answer `head` to read: a strict ChunkedBody, made in `chunked`, where Poco
/// would decode chunks; else `poco`'s (`poco`: the stream receiveResponse returned, unread).
/// An answer that is chunked and carries a Content-Length too is read by its chunks (RFC 9112
/// 6.3: Transfer-Encoding overrides Content-Length) and its connection is closed after it
/// (`lease` discarded): a server or proxy that frames one answer two ways may be the tool of a
/// response-splitting or smuggling attempt, and what follows on that connection is not to be
/// trusted. An answer whose body is in another transfer coding (Poco would read its framing as
/// content) throws Poco::ProtocolException naming it, and its connection is closed.
std::streambuf& answerBody(const Poco::Net::HTTPResponse& head, std::istream& poco,
                           SessionPool::Lease& lease, std::optional<ChunkedBody>& chunked);

/// The length the answer `head`'s Content-Length gives its body, to check the body against;
/// nullopt without one, or when the body is chunked (its Content-Length means nothing then,
/// see answerBody).
std::optional<std::uint64_t> contentLength(const Poco::Net::HTTPResponse& head);

}  // namespace dms::http
