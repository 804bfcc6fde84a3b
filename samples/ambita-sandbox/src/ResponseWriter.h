#pragma once
/// Sends one API response, applying the injected fault (if any) for this call:
/// status/429/503 answer instead of the endpoint; cut, slow, malformed and drop change how the
/// endpoint's own answer is delivered. Bodies are written in fixed-size pieces.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <Poco/Dynamic/Var.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "AssetContent.h"
#include "FaultInjector.h"

namespace sandbox {

class ResponseWriter {
 public:
  /// `beforeSend` is called with the final status (0 for a dropped connection) just before
  /// anything goes out, so a client that has its answer also finds the call in the request log.
  ResponseWriter(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                 std::optional<Fault> fault, std::function<void(int)> beforeSend);

  /// For status, 429 and 503 faults: sends that answer and returns true (the endpoint must
  /// then not run). Returns false for every other case.
  bool answerWithFault();

  /// Sends a JSON body with the given status.
  void sendJson(int status, const Poco::Dynamic::Var& body);

  /// Sends generated file content (download).
  void sendContent(const AssetContent& content, const std::string& contentType);

  /// Status that was sent; 0 when the connection was dropped without an answer.
  int status() const { return status_; }

 private:
  /// Writes `size` bytes produced by `fill(offset, buffer, length)`, honouring the fault.
  template <typename Fill>
  void writeBody(std::uint64_t size, Fill&& fill);
  void closeConnection();

  Poco::Net::HTTPServerRequest& request_;
  Poco::Net::HTTPServerResponse& response_;
  std::optional<Fault> fault_;
  std::function<void(int)> beforeSend_;
  int status_ = 0;
};

}  // namespace sandbox
