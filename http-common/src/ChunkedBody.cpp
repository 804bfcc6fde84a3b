#include "dms/http/ChunkedBody.h"

#include <algorithm>
#include <typeinfo>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPChunkedStream.h>
#include <Poco/String.h>

namespace dms::http {

POCO_IMPLEMENT_EXCEPTION(ChunkedBodyCut, Poco::IOException, "Chunked body cut short")

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// 16 hex digits fill 64 bits; more would overflow (no body is that big).
constexpr std::size_t kMostSizeDigits = 16;

}  // namespace

ChunkedBody::ChunkedBody(SessionPool::Lease& lease) : lease_(lease) {}

ChunkedBody::int_type ChunkedBody::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const std::size_t n = readSome(buffer_, sizeof buffer_);
  if (n == 0) return traits_type::eof();
  setg(buffer_, buffer_, buffer_ + n);
  return traits_type::to_int_type(*gptr());
}

std::streamsize ChunkedBody::xsgetn(char* into, std::streamsize wanted) {
  // What sgetc() buffered first (the base class copies it), then the rest with no copy.
  std::streamsize done = std::streambuf::xsgetn(into, std::min(wanted, egptr() - gptr()));
  for (std::size_t n = 1; done < wanted && n > 0; done += static_cast<std::streamsize>(n))
    n = readSome(into + done, static_cast<std::size_t>(wanted - done));
  return done;
}

std::size_t ChunkedBody::readSome(char* into, std::size_t capacity) {
  if (state_ == State::Failed) throw ChunkedBodyCut(failure_);
  if (capacity == 0) return 0;
  if (state_ == State::Size) readSizeLine();  // to Data, or through the trailers to Done
  if (state_ == State::Done) return 0;
  const int n = lease_.receiveBody(
      into, static_cast<std::streamsize>(std::min<std::uint64_t>(chunkLeft_, capacity)));
  if (n <= 0)
    cut("the connection closed inside a chunk, " + std::to_string(chunkLeft_) +
        " bytes short of its end");
  chunkLeft_ -= static_cast<std::uint64_t>(n);
  bytes_ += static_cast<std::uint64_t>(n);
  if (chunkLeft_ == 0) {
    // The chunk's CRLF; the next size line is read with the next read (it may not have come).
    if (!readLine("the line ending a chunk").empty())
      cut("a chunk's data did not end with its line end");
    state_ = State::Size;
  }
  return static_cast<std::size_t>(n);
}

const std::string& ChunkedBody::readLine(const char* what) {
  if (!lease_.receiveLine(line_, kMaxLineBytes)) {
    if (line_.size() >= kMaxLineBytes)
      cut(std::string(what) + " is longer than " + std::to_string(kMaxLineBytes) + " bytes");
    cut("the connection closed in " + std::string(what));
  }
  // A bare LF ends a line too (RFC 9112 2.2 lets a recipient take it; Poco's reader did): be
  // liberal in the framing, strict only about where the body ends.
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return line_;
}

void ChunkedBody::readSizeLine() {
  const std::string& line = readLine("a chunk-size line");
  std::uint64_t size = 0;
  std::size_t digits = 0;
  for (; digits < line.size() && hexValue(line[digits]) >= 0; ++digits) {
    if (digits == kMostSizeDigits) cut("a chunk size has more than 16 hex digits");
    size = size * 16 + static_cast<std::uint64_t>(hexValue(line[digits]));
  }
  // After the size: nothing, or (after optional blanks) the chunk's extensions.
  std::size_t rest = digits;
  while (rest < line.size() && (line[rest] == ' ' || line[rest] == '\t')) ++rest;
  if (digits == 0 || (rest < line.size() && line[rest] != ';')) cut("a malformed chunk-size line");
  if (size > 0) {
    chunkLeft_ = size;
    state_ = State::Data;
    return;
  }
  readTrailers();
}

void ChunkedBody::readTrailers() {
  for (int fields = 0;; ++fields) {
    if (readLine("the trailer").empty()) {
      state_ = State::Done;
      return;
    }
    if (fields == kMaxTrailerFields)
      cut("more than " + std::to_string(kMaxTrailerFields) + " trailer fields");
  }
}

std::streambuf& answerBody(const Poco::Net::HTTPResponse& head, std::istream& poco,
                           SessionPool::Lease& lease, std::optional<ChunkedBody>& chunked) {
  // Poco decodes only a Transfer-Encoding of exactly "chunked" and reads any other ("gzip,
  // chunked") as plain bytes: its framing would be taken for content. Neither client asks for
  // another coding (no TE header), so such an answer is refused, never filed ("identity", an
  // old spelling of none, is read as none; an answer without a body is not read at all).
  const int status = head.getStatus();
  const bool bodyless = status < 200 || status == 204 || status == 304;
  if (!bodyless && head.has(Poco::Net::HTTPMessage::TRANSFER_ENCODING) &&
      !head.getChunkedTransferEncoding() &&
      Poco::icompare(head.getTransferEncoding(), "identity") != 0) {
    lease.discard();
    throw Poco::ProtocolException(
        "the answer's body is in a transfer coding this client does "
        "not read (Transfer-Encoding: " +
        head.getTransferEncoding() + "; only chunked)");
  }
  if (head.getChunkedTransferEncoding() && head.hasContentLength()) lease.discard();
  // Exactly where Poco decodes chunks (not for a HEAD, a 204 or a 304, whatever the head says),
  // this decodes them instead; its stream has read nothing of the body yet.
  if (!head.getChunkedTransferEncoding() ||
      dynamic_cast<Poco::Net::HTTPChunkedStreamBuf*>(poco.rdbuf()) == nullptr)
    return *poco.rdbuf();
  return chunked.emplace(lease);
}

std::optional<std::uint64_t> contentLength(const Poco::Net::HTTPResponse& head) {
  if (head.getChunkedTransferEncoding() || !head.hasContentLength() ||
      head.getContentLength64() < 0)
    return std::nullopt;
  return static_cast<std::uint64_t>(head.getContentLength64());
}

void ChunkedBody::cut(const std::string& why) {
  state_ = State::Failed;
  failure_ = "the chunked body is not whole (" + std::to_string(bytes_) + " bytes read): " + why;
  throw ChunkedBodyCut(failure_);
}

}  // namespace dms::http
