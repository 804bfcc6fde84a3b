#pragma once
/// Log of received API requests (not control requests) for GET /_sandbox/requests, and the
/// per-request line on stderr. Records only whether an Authorization header was present,
/// never its value. Thread-safe.

#include <mutex>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>

namespace sandbox {

struct RequestRecord {
  std::string method;
  std::string target;    ///< path and query as received
  std::string endpoint;  ///< token, products, createOrder, getOrder, download, or "other"
  bool authorization = false;
  int status = 0;     ///< 0 when the connection was dropped without an answer
  std::string fault;  ///< name of the injected fault kind, empty if none
};

class RequestLog {
 public:
  explicit RequestLog(bool quiet) : quiet_(quiet) {}

  /// Records an API request (kept for the control endpoint) and prints its log line.
  void record(const RequestRecord& record);

  /// Prints a log line for a control request (not kept).
  void print(const std::string& method, const std::string& target, int status);

  Poco::JSON::Array::Ptr toJson();
  void clear();

 private:
  static constexpr std::size_t kMaxRecords = 10000;  // oldest dropped beyond this
  bool quiet_;
  std::mutex mutex_;
  std::vector<RequestRecord> records_;
};

}  // namespace sandbox
