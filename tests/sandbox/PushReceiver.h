#pragma once
/// A tiny HTTP server on 127.0.0.1 (port 0) that records the JSON bodies POSTed to it, standing
/// in for the plugin's push endpoint in the sandbox's own tests. Stops in its destructor.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "support/LoopbackHttpServer.h"

namespace dms::test {

class PushReceiver {
 public:
  PushReceiver();

  /// URL to give the sandbox as push URL.
  std::string url() const;

  /// Waits until at least `count` messages arrived (or the timeout passed); returns them all.
  std::vector<Poco::JSON::Object::Ptr> waitFor(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  void add(Poco::JSON::Object::Ptr message);

  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Poco::JSON::Object::Ptr> messages_;
  /// Last member: destroyed (stopped) first.
  LoopbackHttpServer server_;
};

}  // namespace dms::test
