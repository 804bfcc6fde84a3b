#pragma once
/// The control endpoints under /_sandbox/ (no auth, loopback only, never faulted): drive order
/// scripts, add/withdraw files, cancel/refund, switch generations, inject faults, expire tokens,
/// set the push URL, read the request and push logs. Shapes are documented in README.md.

#include <map>
#include <mutex>
#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "KodeApi.h"

namespace sandbox {

class ControlApi {
 public:
  ControlApi(SandboxState& state, KodeApi& api) : state_(state), api_(api) {}

  /// Handles one control request completely.
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

 private:
  /// Routes to the action; returns status and JSON body.
  std::pair<int, Poco::Dynamic::Var> route(const std::string& method, const std::string& path,
                                           const std::string& body);
  std::pair<int, Poco::Dynamic::Var> assetInfo(const std::string& assetId);

  SandboxState& state_;
  KodeApi& api_;
  std::mutex shaMutex_;
  std::map<std::string, std::string> shaCache_;  // asset id -> sha256 (content never changes)
};

}  // namespace sandbox
