#include "ResponseWriter.h"

#include <algorithm>
#include <sstream>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>

namespace sandbox {
namespace {
constexpr int kSlowPieces = 10;  // a slow body arrives in this many pieces
}

ResponseWriter::ResponseWriter(Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response, std::optional<Fault> fault,
                               std::function<void(int)> beforeSend)
    : request_(request),
      response_(response),
      fault_(std::move(fault)),
      beforeSend_(std::move(beforeSend)) {}

void ResponseWriter::closeConnection() {
  try {
    static_cast<Poco::Net::HTTPServerRequestImpl&>(request_).socket().shutdown();
  } catch (const Poco::Exception&) {
    // Already closed by the peer: nothing left to cut.
  }
}

bool ResponseWriter::answerWithFault() {
  if (!fault_) return false;
  const FaultKind kind = fault_->kind;
  if (kind != FaultKind::kStatus && kind != FaultKind::kTooMany && kind != FaultKind::kUnavailable)
    return false;
  const int status = kind == FaultKind::kStatus    ? fault_->arg
                     : kind == FaultKind::kTooMany ? 429
                                                   : 503;
  if (kind != FaultKind::kStatus) response_.set("Retry-After", std::to_string(fault_->arg));
  Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
  body->set("error", status == 429 ? "too_many_requests" : "server_error");
  body->set("message", "injected fault: HTTP " + std::to_string(status));
  fault_.reset();  // the answer itself is delivered normally
  sendJson(status, body);
  return true;
}

template <typename Fill>
void ResponseWriter::writeBody(std::uint64_t size, Fill&& fill) {
  const FaultKind kind = fault_ ? fault_->kind : FaultKind::kExpire;  // kExpire: no body effect
  if (fault_ && kind == FaultKind::kDrop) {
    status_ = 0;
    if (beforeSend_) beforeSend_(0);
    closeConnection();
    return;
  }
  std::uint64_t declared = size;
  std::uint64_t toSend = size;
  if (fault_ && kind == FaultKind::kCut) {
    // Declare the full length (at least 1), deliver at most half, then close: a short body.
    declared = std::max<std::uint64_t>(size, 1);
    toSend = size / 2;
  }
  response_.setContentLength64(static_cast<Poco::Int64>(declared));
  if (beforeSend_) beforeSend_(status_);
  std::ostream& out = response_.send();
  std::vector<char> buffer(AssetContent::kBufferSize);
  const std::uint64_t piece =
      fault_ && kind == FaultKind::kSlow
          ? std::max<std::uint64_t>(1, (toSend + kSlowPieces - 1) / kSlowPieces)
          : toSend;
  std::uint64_t offset = 0;
  while (offset < toSend && out.good()) {
    if (fault_ && kind == FaultKind::kSlow) {
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(fault_->arg));
    }
    const std::uint64_t pieceEnd = std::min(toSend, offset + piece);
    while (offset < pieceEnd && out.good()) {
      const std::size_t length =
          static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), pieceEnd - offset));
      fill(offset, buffer.data(), length);
      out.write(buffer.data(), static_cast<std::streamsize>(length));
      offset += length;
    }
  }
  out.flush();
  if (fault_ && kind == FaultKind::kCut) closeConnection();
}

void ResponseWriter::sendJson(int status, const Poco::Dynamic::Var& body) {
  std::ostringstream text;
  Poco::JSON::Stringifier::condense(body, text);
  std::string json = text.str();
  if (fault_ && fault_->kind == FaultKind::kMalformed)
    json = json.substr(0, json.size() / 2) + "\"<<malformed";  // unterminated string: not JSON
  status_ = status;
  response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response_.setContentType("application/json; charset=utf-8");
  writeBody(json.size(), [&](std::uint64_t offset, char* buffer, std::size_t length) {
    std::copy_n(json.data() + offset, length, buffer);
  });
}

void ResponseWriter::sendContent(const AssetContent& content, const std::string& contentType) {
  status_ = 200;
  response_.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
  response_.setContentType(contentType);
  const bool corrupt = fault_ && fault_->kind == FaultKind::kMalformed;
  writeBody(content.size(), [&](std::uint64_t offset, char* buffer, std::size_t length) {
    content.fill(offset, buffer, length);
    // "malformed" for a file: same length, first byte inverted, so the digest differs.
    if (corrupt && offset == 0 && length > 0) buffer[0] = static_cast<char>(~buffer[0]);
  });
}

}  // namespace sandbox
