#include "PushReceiver.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>

namespace dms::test {
namespace {

LoopbackHttpServer::Settings pocoDefaults() {
  LoopbackHttpServer::Settings settings;
  settings.keepAliveTimeoutSeconds = 15;  // Poco's default, which these tests were written with
  return settings;
}

}  // namespace

PushReceiver::PushReceiver()
    : server_(
          [this](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
            std::string body;
            Poco::StreamCopier::copyToString(request.stream(), body);
            try {
              Poco::JSON::Parser parser;
              add(parser.parse(body).extract<Poco::JSON::Object::Ptr>());
              response.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
            } catch (const Poco::Exception&) {
              response.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
            }
            response.setContentLength(0);
            response.send();
          },
          pocoDefaults()) {}

std::string PushReceiver::url() const {
  return server_.origin() + "/push";
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
