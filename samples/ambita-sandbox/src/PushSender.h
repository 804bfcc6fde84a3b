#pragma once
/// Sends push messages (JSON POSTs) to the configured callback URL (or to several in turn) from
/// one background thread,
/// in the order they were queued. Failures are logged and recorded, never block the API.
/// The thread is joined by stop() or the destructor.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace sandbox {

class PushSender {
 public:
  PushSender(std::string url, bool quiet);
  ~PushSender();
  PushSender(const PushSender&) = delete;
  PushSender& operator=(const PushSender&) = delete;

  /// Changes the callback URL (empty: pushes are recorded as "skipped", not sent).
  void setUrl(const std::string& url);
  std::string url();

  /// Queues one message; returns at once.
  void send(Poco::JSON::Object::Ptr message);

  /// Messages queued so far with their outcome: [{"message":{...},"url":"...","result":"..."}].
  /// `result` is "pending", "skipped", "HTTP <status>" or "error: <reason>".
  Poco::JSON::Array::Ptr toJson();
  void clear();

  void stop();

 private:
  struct Entry {
    Poco::JSON::Object::Ptr message;
    std::string url;
    std::string result = "pending";
  };
  void run();
  std::string deliver(const std::string& url, const std::string& body);

  bool quiet_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string url_;
  std::vector<Entry> entries_;  // all messages, in order
  std::size_t next_ = 0;        // first entry not yet taken by the thread
  std::uint64_t erased_ = 0;    // entries removed by clear(), to keep sequence numbers stable
  bool stopping_ = false;
  std::uint64_t sent_ = 0;  // messages queued so far: the next URL in turn
  std::thread thread_;
};

}  // namespace sandbox
