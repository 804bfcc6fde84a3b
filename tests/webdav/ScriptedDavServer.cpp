#include "ScriptedDavServer.h"

#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <sstream>
#include <thread>
#include <vector>

namespace dms::test {
namespace {
LoopbackHttpServer::Settings eightThreads() {
  LoopbackHttpServer::Settings settings;
  settings.maxThreads = 8;
  settings.keepAliveTimeoutSeconds = 15;  // Poco's default, which these tests were written with
  return settings;
}
}  // namespace

ScriptedDavServer::ScriptedDavServer(Script script) : ScriptedDavServer(std::move(script), {}) {}

ScriptedDavServer::ScriptedDavServer(Script script, BodyPace pace)
    : script_(std::move(script)),
      pace_(pace),
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
    if (pace_.chunk == 0 || recorded.method != "PUT") {
      std::ostringstream body;
      Poco::StreamCopier::copyStream(request.stream(), body);
      recorded.body = body.str();
    } else {
      const auto giveUp = std::chrono::steady_clock::now() + pace_.giveUpAfter;
      std::vector<char> chunk(pace_.chunk);
      std::istream& in = request.stream();
      while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
        recorded.body.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
        if (std::chrono::steady_clock::now() > giveUp)
          return LoopbackHttpServer::dropConnection(request);
        std::this_thread::sleep_for(pace_.every);
      }
    }
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
