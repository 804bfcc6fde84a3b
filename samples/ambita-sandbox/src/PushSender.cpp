#include "PushSender.h"

#include "SandboxOptions.h"

#include <iostream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace sandbox {

PushSender::PushSender(std::string url, bool quiet)
    : quiet_(quiet), url_(std::move(url)), thread_([this] { run(); }) {}

PushSender::~PushSender() {
  stop();
}

void PushSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PushSender::setUrl(const std::string& url) {
  std::lock_guard lock(mutex_);
  url_ = url;
}

std::string PushSender::url() {
  std::lock_guard lock(mutex_);
  return url_;
}

void PushSender::send(Poco::JSON::Object::Ptr message) {
  {
    std::lock_guard lock(mutex_);
    // Several comma-separated URLs: each message goes to the next in turn.
    const auto urls = splitList(url_);
    const std::string url = urls.empty() ? std::string() : urls[sent_++ % urls.size()];
    entries_.push_back(Entry{message, url});
  }
  wake_.notify_all();
}

void PushSender::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || next_ < entries_.size(); });
    if (stopping_) return;
    const std::size_t index = next_++;
    const std::uint64_t sequence = erased_ + index;
    const std::string url = entries_[index].url;
    std::ostringstream body;
    Poco::JSON::Stringifier::condense(entries_[index].message, body);
    lock.unlock();
    std::string result = url.empty() ? "skipped" : deliver(url, body.str());
    lock.lock();
    // clear() may have removed this entry meanwhile.
    if (sequence >= erased_) entries_[sequence - erased_].result = result;
  }
}

std::string PushSender::deliver(const std::string& url, const std::string& body) {
  std::string result;
  try {
    Poco::URI uri(url);
    if (uri.getScheme() != "http") throw Poco::InvalidArgumentException("only http:// push URLs");
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Poco::NullOutputStream sink;
    Poco::StreamCopier::copyStream(in, sink);
    result = "HTTP " + std::to_string(static_cast<int>(response.getStatus()));
  } catch (const Poco::Exception& e) {
    result = "error: " + e.displayText();
  } catch (const std::exception& e) {
    result = std::string("error: ") + e.what();
  }
  if (!quiet_) std::cerr << "ambita-sandbox: push " + body + " -> " + result + "\n" << std::flush;
  return result;
}

Poco::JSON::Array::Ptr PushSender::toJson() {
  std::lock_guard lock(mutex_);
  Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
  for (const auto& entry : entries_) {
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
    json->set("message", entry.message);
    json->set("url", entry.url);
    json->set("result", entry.result);
    array->add(json);
  }
  return array;
}

void PushSender::clear() {
  std::lock_guard lock(mutex_);
  // Keep undelivered ones so the thread's index stays valid.
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(next_));
  erased_ += next_;
  next_ = 0;
}

}  // namespace sandbox
