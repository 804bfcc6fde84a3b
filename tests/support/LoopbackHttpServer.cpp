#include "LoopbackHttpServer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace dms::test {

/// The answer function and the calls of it in progress. Poco's connection threads hold it
/// (through the handler factory) for as long as they run, so a late thread finds it alive.
class LoopbackHttpServer::RunningAnswers {
 public:
  explicit RunningAnswers(Answer answer) : answer_(std::move(answer)) {}

  /// Calls the answer unless the server is stopping (then the connection is closed unanswered).
  void run(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        dropConnection(request);
        return;
      }
      ++running_;
    }
    // Leaves even when the answer throws (Poco turns that into a 500 on this thread).
    struct Leave {
      RunningAnswers& answers;
      ~Leave() {
        std::lock_guard lock(answers.mutex_);
        --answers.running_;
        answers.finished_.notify_all();  // under the lock: the waiter may free the server next
      }
    } leave{*this};
    answer_(request, response);
  }

  /// No new calls from now on; returns once the running ones have returned.
  void stopAndWait() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    if (!finished_.wait_for(lock, std::chrono::minutes(1), [&] { return running_ == 0; })) {
      std::fprintf(stderr,
                   "LoopbackHttpServer: %d answer(s) still running a minute after the server "
                   "was stopped; the test blocks its own server's answer function\n",
                   running_);
      std::abort();
    }
  }

 private:
  Answer answer_;
  std::mutex mutex_;
  std::condition_variable finished_;
  int running_ = 0;
  bool stopping_ = false;
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<LoopbackHttpServer::RunningAnswers> answers)
      : answers_(std::move(answers)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    answers_->run(request, response);
  }

 private:
  std::shared_ptr<LoopbackHttpServer::RunningAnswers> answers_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<LoopbackHttpServer::RunningAnswers> answers)
      : answers_(std::move(answers)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(answers_);  // Poco's factory contract: the server takes ownership
  }

 private:
  std::shared_ptr<LoopbackHttpServer::RunningAnswers> answers_;
};

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(Answer answer)
    : LoopbackHttpServer(std::move(answer), Settings{}) {}

LoopbackHttpServer::LoopbackHttpServer(Answer answer, Settings settings)
    : answers_(std::make_shared<RunningAnswers>(std::move(answer))), tls_(!settings.tls.isNull()) {
  const Poco::Net::SocketAddress loopback("127.0.0.1", 0);
  Poco::Net::ServerSocket socket = tls_ ? Poco::Net::SecureServerSocket(loopback, 64, settings.tls)
                                        : Poco::Net::ServerSocket(loopback);
  port_ = socket.address().port();
  auto params = Poco::makeAuto<Poco::Net::HTTPServerParams>();
  params->setKeepAlive(settings.keepAlive);
  params->setMaxThreads(settings.maxThreads);
  params->setMaxQueued(64);
  params->setKeepAliveTimeout(Poco::Timespan(settings.keepAliveTimeoutSeconds, 0));
  threads_ = std::make_unique<Poco::ThreadPool>(1, settings.maxThreads);
  server_ = std::make_unique<Poco::Net::HTTPServer>(Poco::makeShared<Factory>(answers_), *threads_,
                                                    socket, params);
  server_->start();
}

LoopbackHttpServer::~LoopbackHttpServer() {
  server_->stopAll(true);  // stops accepting and shuts the open connections down
  answers_->stopAndWait();
  server_.reset();
  threads_->joinAll();  // every connection's thread has left the server's code
  threads_.reset();     // and ended
}

std::string LoopbackHttpServer::origin() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void LoopbackHttpServer::dropConnection(Poco::Net::HTTPServerRequest& request) {
  static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket().shutdown();
}

}  // namespace dms::test
