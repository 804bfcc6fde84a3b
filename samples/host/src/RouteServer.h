#pragma once
/// The host's HTTP listener: serves exactly the plugin's routes (method + exact path) with
/// Poco's HTTP connections on a bounded thread pool. 404 for an unknown path, 405 for a known
/// path with another method, 413 for a body over Route::maxBodyBytes (a body left unread ends
/// its connection: it must never be taken for the next request). The query string is never
/// logged (it may carry a shared secret).
///
/// Slow, idle or many clients of a few addresses cannot deny service to others (ConnectionGuard):
/// a deadline for each whole request and for taking its answer; a cap per client address
/// counted from accept, connections waiting for a worker included, 503 at once beyond it or
/// when the bounded queue is full; and while connections wait for a worker, one that has not
/// sent a whole request within a second gives its worker up. Thread-per-connection still: many
/// addresses (about ten at the default cap) can keep every worker busy and the queue full; that
/// needs a proxy in front. What clients cause at will (refused or closed connections, 413s,
/// cut bodies) is logged bounded: the first of a minute in full, the rest counted
/// (ConnectionGuard).

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ConnectionGuard.h"
#include "HostMetrics.h"
#include "dms/Error.h"
#include "dms/Logger.h"
#include "dms/Plugin.h"

namespace dms::host {

/// An answer of one of the host's own routes: the SDK's HttpResponse plus response headers
/// (the admin console's Set-Cookie, Cache-Control), for which the SDK type has no room.
struct HostResponse {
  HttpResponse answer;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A route the host answers itself; like dms::Route otherwise.
struct HostRoute {
  std::string method;
  std::string path;  ///< exact path
  std::size_t maxBodyBytes = 64 * 1024;
  /// Called from the server's threads, concurrently. Must not throw.
  std::function<HostResponse(const HttpRequest&)> handler;
};

class RouteServer {
 public:
  /// Worker threads serving requests, at least; more when one address may hold more
  /// (workerThreadsFor), so that one address cannot take them all.
  static constexpr std::size_t kMinWorkerThreads = 16;
  /// The highest ListenerLimits::maxConnectionsPerAddress the listener takes (http.*): Ambita's
  /// pushes may come from few addresses over many connections.
  static constexpr std::size_t kMaxConnectionsPerAddress = 64;
  /// The workers for `limits`: kMinWorkerThreads, or the per-address cap and a third more, so
  /// that a quarter of them is always left to other addresses.
  static std::size_t workerThreadsFor(const ListenerLimits& limits);
  /// Connections waiting for a worker; more are answered 503 at once.
  static constexpr std::size_t kMaxQueuedConnections = 64;

  /// The logger must outlive the server. Creates no thread yet.
  RouteServer(std::vector<Route> routes, Logger& logger, ListenerLimits limits = {});
  /// The same for the host's own routes (the admin console).
  RouteServer(std::vector<HostRoute> routes, Logger& logger, ListenerLimits limits = {});
  ~RouteServer();
  RouteServer(const RouteServer&) = delete;
  RouteServer& operator=(const RouteServer&) = delete;

  /// Binds and listens on host:port (port 0 = a free port); connections wait in the backlog
  /// until start(). Errors: InvalidArgument (bad address), Unavailable (cannot bind), naming
  /// the configuration key `key` the address came from.
  Status bind(const std::string& host, std::uint16_t port, const std::string& key = "http.listen");

  /// The bound port (the actual one when 0 was asked). Precondition: bind() succeeded.
  std::uint16_t port() const;

  /// Starts the worker threads and accepting.
  void start();

  /// Stops accepting and closes every connection (idle keep-alive ones, requests arriving, and
  /// those of the requests in flight, whose answers are not sent); the requests in flight go
  /// on. Lets a host cancel what they wait for before stop() waits for them. Idempotent.
  void stopAccepting() noexcept;
  /// stopAccepting(), then waits for the requests in flight; no server thread is left
  /// afterwards. Idempotent.
  void stop() noexcept;

  /// Counts every answered request into `metrics` (GET /metrics); call before start().
  /// `metrics` must outlive the server.
  void countInto(HostMetrics* metrics) { metrics_ = metrics; }

 private:
  std::vector<HostRoute> routes_;
  Logger& logger_;
  const ListenerLimits limits_;
  Poco::Net::ServerSocket socket_;
  // Destroyed in reverse order: the server, then the guard its connections use, then the pool.
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<ConnectionGuard> guard_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  bool bound_ = false;
  bool running_ = false;
  HostMetrics* metrics_ = nullptr;
};

}  // namespace dms::host
