#pragma once
/// An HTTP(S) server on 127.0.0.1:<free port> whose answers a test writes as a function; the
/// one Poco server the tests' scripted servers (Ambita API, WebDAV, push receiver) build on.
///
/// Why not Poco's HTTPServer alone: its stop() neither joins nor waits for the threads that
/// are still inside a request handler, so a handler that outlives the server (a slow answer
/// the client gave up on) would use the test's variables after they were freed. Here the
/// destructor stops accepting, aborts open connections, then waits until every running call
/// of the answer function has returned; a connection accepted while stopping is closed
/// without calling it. The answer function may therefore use anything that outlives the server.
/// The server's connection threads are its own pool's, ended by the destructor: Poco's default
/// pool would keep them alive until the process exits, where ThreadSanitizer saw them race
/// with the exit's destruction of Poco's buffer pool (a report after every test had passed).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/ThreadPool.h>

namespace dms::test {

class LoopbackHttpServer {
 public:
  /// Answers one request; runs on one of the server's threads, several at once.
  using Answer =
      std::function<void(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse&)>;

  struct Settings {
    Poco::Net::Context::Ptr tls;  ///< set: serves HTTPS with this (server) context
    int maxThreads = 16;
    bool keepAlive = true;
    int keepAliveTimeoutSeconds = 5;
  };

  explicit LoopbackHttpServer(Answer answer);
  LoopbackHttpServer(Answer answer, Settings settings);
  /// Stops the server and waits for running answers to return (see the file comment). An
  /// answer still running after a minute is a test that blocks its own server: the process
  /// aborts with a message rather than free what the answer uses or hang.
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:PORT" (https with TLS).
  std::string origin() const;

  /// Closes the request's connection without answering (the client sees no response at all).
  static void dropConnection(Poco::Net::HTTPServerRequest& request);

  class RunningAnswers;  ///< shared with Poco's threads, which may outlive this object

 private:
  std::shared_ptr<RunningAnswers> answers_;
  bool tls_ = false;
  std::uint16_t port_ = 0;
  std::unique_ptr<Poco::ThreadPool> threads_;  ///< the connections' threads; outlives server_
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace dms::test
