#pragma once
/// Per-endpoint fault queue. Each API call on an endpoint consumes one use of the first fault
/// queued for that endpoint; a fault with count 0 stays until cleared. Thread-safe.

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace sandbox {

enum class FaultKind { kStatus, kTooMany, kUnavailable, kCut, kSlow, kMalformed, kDrop, kExpire };

struct Fault {
  std::string endpoint;  ///< token, products, createOrder, getOrder, download
  FaultKind kind = FaultKind::kStatus;
  int count = 1;  ///< remaining uses; 0 = until cleared
  int arg = 0;    ///< status code, Retry-After seconds or pause in ms, per kind
};

class FaultInjector {
 public:
  /// Parses "endpoint:kind[:count[:arg]]" (the --fault flag). Returns an error message or
  /// empty on success.
  static std::string parse(const std::string& spec, Fault& fault);

  /// Builds a fault from the control endpoint's JSON {"endpoint","kind","count","arg"}.
  static std::string fromJson(const Poco::JSON::Object& json, Fault& fault);

  static std::string kindName(FaultKind kind);

  void add(const Fault& fault);
  void clear();

  /// Consumes one use of the next fault for `endpoint`, if any.
  std::optional<Fault> take(const std::string& endpoint);

  Poco::JSON::Array::Ptr toJson();

 private:
  static std::string validate(Fault& fault, const std::string& kind, bool argGiven);

  std::mutex mutex_;
  std::map<std::string, std::deque<Fault>> faults_;
};

}  // namespace sandbox
