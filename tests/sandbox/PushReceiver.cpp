#include "PushReceiver.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace dms::test {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(PushReceiver& receiver) : receiver_(receiver) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    try {
      Poco::JSON::Parser parser;
      receiver_.add(parser.parse(body).extract<Poco::JSON::Object::Ptr>());
      response.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
    } catch (const Poco::Exception&) {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
    }
    response.setContentLength(0);
    response.send();
  }

 private:
  PushReceiver& receiver_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(PushReceiver& receiver) : receiver_(receiver) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(receiver_);
  }

 private:
  PushReceiver& receiver_;
};

}  // namespace

PushReceiver::PushReceiver() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket,
                                                    new Poco::Net::HTTPServerParams);
  server_->start();
}

PushReceiver::~PushReceiver() {
  server_->stopAll(true);
}

std::string PushReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + "/push";
}

void PushReceiver::add(Poco::JSON::Object::Ptr message) {
  {
    std::lock_guard lock(mutex_);
    messages_.push_back(message);
  }
  arrived_.notify_all();
}

std::vector<Poco::JSON::Object::Ptr> PushReceiver::waitFor(std::size_t count,
                                                           std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  arrived_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  return messages_;
}

}  // namespace dms::test
