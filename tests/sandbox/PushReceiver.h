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
#include <Poco/Net/HTTPServer.h>

namespace dms::test {

class PushReceiver {
 public:
  PushReceiver();
  ~PushReceiver();

  /// URL to give the sandbox as push URL.
  std::string url() const;

  /// Waits until at least `count` messages arrived (or the timeout passed); returns them all.
  std::vector<Poco::JSON::Object::Ptr> waitFor(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Called by the server's handler.
  void add(Poco::JSON::Object::Ptr message);

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Poco::JSON::Object::Ptr> messages_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace dms::test
