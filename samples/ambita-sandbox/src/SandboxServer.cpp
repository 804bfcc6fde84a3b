#include "SandboxServer.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

namespace sandbox {
namespace {

/// One handler per request (Poco's model): control paths go to ControlApi, the rest to KodeApi.
class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(KodeApi& api, ControlApi& control, std::chrono::milliseconds latency)
      : api_(api), control_(control), latency_(latency) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      if (Poco::URI(request.getURI()).getPath().rfind("/_sandbox/", 0) == 0) {
        control_.handle(request, response);
      } else {
        // --latency-ms: a distant API (benchmarks of several hosts); the control API is not
        // delayed, so tests steer the sandbox at full speed.
        if (latency_.count() > 0) std::this_thread::sleep_for(latency_);
        api_.handle(request, response);
      }
    } catch (const Poco::SyntaxException& e) {
      // A request target Poco::URI cannot parse: say so instead of a bare 500.
      if (response.sent()) return;
      const std::string body =
          "{\"error\":\"bad_request\",\"message\":\"request target: not a valid URI\"}";
      response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
      response.setContentType("application/json; charset=utf-8");
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      response.send() << body;
    }
  }

 private:
  KodeApi& api_;
  ControlApi& control_;
  std::chrono::milliseconds latency_;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HandlerFactory(KodeApi& api, ControlApi& control, std::chrono::milliseconds latency)
      : api_(api), control_(control), latency_(latency) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(api_, control_, latency_);  // Poco takes ownership
  }

 private:
  KodeApi& api_;
  ControlApi& control_;
  std::chrono::milliseconds latency_;
};

std::vector<StepKind> extrasOrThrow(const std::vector<std::string>& names) {
  std::vector<StepKind> extras;
  if (auto error = FulfilmentScript::parseExtras(names, extras); !error.empty())
    throw std::invalid_argument("--extra-steps: " + error);
  return extras;
}

}  // namespace

SandboxServer::SandboxServer(const SandboxOptions& options)
    : options_(options),
      tokens_(options.clientId, options.clientSecret, options.username, options.password,
              options.tokenLifetimeSeconds),
      pushes_(options.pushUrl, options.quiet),
      log_(options.quiet),
      pool_(2, 64) {
  for (const auto& spec : options.prices)
    if (auto error = catalogue_.setPrice(spec); !error.empty()) throw std::invalid_argument(error);
  orders_ = std::make_unique<OrderStore>(
      catalogue_, pushes_, options.generation == "old" ? Generation::kOld : Generation::kNew,
      extrasOrThrow(options.extraSteps), options.assetSize);
  for (const auto& spec : options.faults) {
    Fault fault;
    if (auto error = FaultInjector::parse(spec, fault); !error.empty())
      throw std::invalid_argument(error);
    faults_.add(fault);
  }
  state_ = std::make_unique<SandboxState>(
      SandboxState{catalogue_, tokens_, *orders_, faults_, log_, pushes_, options.openDownloads});
  api_ = std::make_unique<KodeApi>(*state_);
  control_ = std::make_unique<ControlApi>(*state_, *api_);
}

SandboxServer::~SandboxServer() {
  stop();
}

std::uint16_t SandboxServer::start() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", options_.port));
  const std::uint16_t port = socket.address().port();
  orders_->setBaseUrl("http://127.0.0.1:" + std::to_string(port));
  Poco::AutoPtr<Poco::Net::HTTPServerParams> params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(64);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(30, 0));
  server_ = std::make_unique<Poco::Net::HTTPServer>(
      new HandlerFactory(*api_, *control_, std::chrono::milliseconds(options_.latencyMs)), pool_,
      socket, params);
  server_->start();
  if (options_.stepIntervalMs > 0) ticker_ = std::thread([this] { tick(); });
  return port;
}

void SandboxServer::tick() {
  std::unique_lock lock(tickMutex_);
  const auto interval = std::chrono::milliseconds(options_.stepIntervalMs);
  while (!tickWake_.wait_for(lock, interval, [&] { return stopping_; })) orders_->stepAllOpen();
}

void SandboxServer::stop() {
  {
    std::lock_guard lock(tickMutex_);
    stopping_ = true;
  }
  tickWake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (server_) {
    server_->stopAll(true);  // also aborts connections still open (slow bodies)
    server_.reset();
  }
  pool_.joinAll();
  pushes_.stop();
}

}  // namespace sandbox
