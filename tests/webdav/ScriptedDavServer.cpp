#include "ScriptedDavServer.h"

#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <sstream>

namespace dms::test {
namespace {
LoopbackHttpServer::Settings eightThreads() {
  LoopbackHttpServer::Settings settings;
  settings.maxThreads = 8;
  settings.keepAliveTimeoutSeconds = 15;  // Poco's default, which these tests were written with
  return settings;
}
}  // namespace

ScriptedDavServer::ScriptedDavServer(Script script)
    : script_(std::move(script)),
      server_([this](Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) { handle(request, response); },
              eightThreads()) {}

std::vector<RecordedRequest> ScriptedDavServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void ScriptedDavServer::handle(Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response) {
  RecordedRequest recorded;
  recorded.method = request.getMethod();
  recorded.uri = request.getURI();
  for (const auto& [name, value] : request) recorded.headers.emplace(Poco::toLower(name), value);
  // Without a length or chunking a request has no body (reading would wait for the close).
  if (request.hasContentLength() || request.getChunkedTransferEncoding()) {
    std::ostringstream body;
    Poco::StreamCopier::copyStream(request.stream(), body);
    recorded.body = body.str();
  }
  std::size_t index = 0;
  {
    std::lock_guard lock(mutex_);
    index = requests_.size();
    requests_.push_back(recorded);
  }
  script_(index, recorded, response);
}

std::string multistatusFor(const std::string& href, bool collection, std::uint64_t size) {
  std::string props = collection ? "<D:resourcetype><D:collection/></D:resourcetype>"
                                 : "<D:resourcetype/><D:getcontentlength>" + std::to_string(size) +
                                       "</D:getcontentlength>";
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:multistatus xmlns:D=\"DAV:\"><D:response>"
         "<D:href>" +
         href + "</D:href><D:propstat><D:prop>" + props +
         "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>";
}

}  // namespace dms::test
