#pragma once
/// Owns the sandbox's state and its Poco HTTPServer on 127.0.0.1, plus the optional
/// step clock (--step-interval-ms). start() binds; stop() ends every thread it started.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include "Catalogue.h"
#include "ControlApi.h"
#include "FaultInjector.h"
#include "KodeApi.h"
#include "OrderStore.h"
#include "PushSender.h"
#include "RequestLog.h"
#include "SandboxOptions.h"
#include "TokenService.h"

namespace sandbox {

class SandboxServer {
 public:
  /// Validates the options (extra steps, faults); throws std::invalid_argument with a message
  /// naming the bad flag.
  explicit SandboxServer(const SandboxOptions& options);
  ~SandboxServer();
  SandboxServer(const SandboxServer&) = delete;
  SandboxServer& operator=(const SandboxServer&) = delete;

  /// Binds 127.0.0.1:port and starts serving; returns the bound port.
  std::uint16_t start();
  void stop();

 private:
  void tick();

  SandboxOptions options_;
  Catalogue catalogue_;
  TokenService tokens_;
  PushSender pushes_;
  std::unique_ptr<OrderStore> orders_;
  FaultInjector faults_;
  RequestLog log_;
  std::unique_ptr<SandboxState> state_;
  std::unique_ptr<KodeApi> api_;
  std::unique_ptr<ControlApi> control_;
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex tickMutex_;
  std::condition_variable tickWake_;
  bool stopping_ = false;
  std::thread ticker_;
};

}  // namespace sandbox
