#pragma once
/// Small raw-HTTP helpers for the sandbox's own tests: every call opens a fresh connection and
/// reports status, headers, the declared Content-Length and what actually arrived.

#include <cstdint>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "support/SandboxProcess.h"

namespace dms::test {

struct RawReply {
  bool answered = false;  ///< false: the connection closed without any response
  int status = 0;
  std::string body;
  std::int64_t contentLength = -1;
  std::string retryAfter;
  std::string contentType;
  std::string error;  ///< exception text when the exchange failed
};

/// Sends one request to the sandbox and reads the whole answer, tolerating short bodies and
/// dropped connections (recorded in the result instead of thrown).
RawReply rawRequest(const SandboxProcess& sandbox, const std::string& method,
                    const std::string& target, const std::string& body = "",
                    const std::string& bearer = "",
                    const std::string& contentType = "application/json");

/// Parses JSON text that must be an object / an array (fails the test with the text otherwise).
Poco::JSON::Object::Ptr parseObject(const std::string& text);
Poco::JSON::Array::Ptr parseArray(const std::string& text);

/// SHA-256 (lowercase hex) of a string.
std::string sha256Hex(const std::string& data);

/// A valid cadastre order body for Infoland with the given product codes.
std::string cadastreBody(const std::vector<std::string>& codes,
                         const std::string& cadastre = "9999-1-1-0-0");

}  // namespace dms::test
