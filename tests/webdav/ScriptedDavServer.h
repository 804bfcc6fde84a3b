#pragma once
/// A tiny HTTP server on 127.0.0.1:<free port> whose answers a test scripts with a function,
/// recording every request (method, URI, headers, body). It plays the misbehaving WebDAV
/// server that Apache will not be: 503/423/429 then success, redirects, slow answers.

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/LoopbackHttpServer.h"

namespace dms::test {

struct RecordedRequest {
  std::string method;
  std::string uri;
  std::map<std::string, std::string> headers;  ///< first value per header name, lower-case keys
  std::string body;
};

class ScriptedDavServer {
 public:
  /// The script answers request number `index` (0-based); it fills the response itself.
  using Script = std::function<void(std::size_t index, const RecordedRequest& request,
                                    Poco::Net::HTTPServerResponse& response)>;

  /// How the server reads a PUT's body: all at once (the default), or `chunk` bytes every
  /// `every` (a server slow to take an upload).
  struct BodyPace {
    std::size_t chunk = 0;  ///< 0: all at once
    std::chrono::milliseconds every{0};
    /// Then the server drops the connection (a client that gave up may leave its bytes in the
    /// sockets for long).
    std::chrono::milliseconds giveUpAfter{5000};
  };

  explicit ScriptedDavServer(Script script);
  ScriptedDavServer(Script script, BodyPace pace);
  /// Stops the server and waits until no script call is running (see LoopbackHttpServer).
  ~ScriptedDavServer() = default;
  ScriptedDavServer(const ScriptedDavServer&) = delete;
  ScriptedDavServer& operator=(const ScriptedDavServer&) = delete;

  int port() const { return server_.port(); }
  std::string origin() const { return server_.origin(); }
  std::vector<RecordedRequest> requests() const;

 private:
  /// Records and answers one request (called by the server's handler threads).
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  Script script_;
  const BodyPace pace_;
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  /// Last member: destroyed first, so no script call runs once the members above are gone.
  LoopbackHttpServer server_;
};

/// A 207 body describing one resource at `href`.
std::string multistatusFor(const std::string& href, bool collection, std::uint64_t size = 0);

}  // namespace dms::test
