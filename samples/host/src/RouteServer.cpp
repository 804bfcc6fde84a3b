#include "RouteServer.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/String.h>
#include <sys/socket.h>

#include <algorithm>
#include <istream>

namespace dms::host {

namespace {

constexpr const char* kSource = "http";

void sendJson(Poco::Net::HTTPServerResponse& response, int status, const std::string& error) {
  // The error texts are ours (no request data except the path), so plain escaping suffices.
  std::string body = "{\"error\":\"";
  for (char c : error) {
    if (c == '"' || c == '\\') body += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) body += c;
  }
  body += "\"}";
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

/// Serves one request against the route table.
class RouteHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  RouteHandler(const std::vector<HostRoute>& routes, Logger& logger, ConnectionGuard& guard,
               HostMetrics* metrics)
      : routes_(routes), logger_(logger), guard_(guard), metrics_(metrics) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    // Requests come from our own connections (GuardedConnection), whose sockets the guard knows.
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    const std::string& uri = request.getURI();
    path_ = uri.substr(0, uri.find('?'));
    serve(request, response, impl == nullptr ? nullptr : &impl->socket());
    count(response);  // the answers Poco sends once this returns (sendJson's)
    // A fresh deadline for the next keep-alive request.
    if (impl != nullptr) guard_.answerSent(impl->socket());
  }

 private:
  void serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
             const Poco::Net::StreamSocket* socket) {
    const std::string& uri = request.getURI();
    const auto mark = uri.find('?');
    HttpRequest call;
    call.method = request.getMethod();
    call.path = uri.substr(0, mark);
    call.query = mark == std::string::npos ? "" : uri.substr(mark + 1);
    call.remoteAddress = request.clientAddress().toString();
    for (const auto& [name, value] : request) call.headers[Poco::toLower(name)] = value;
    const std::string line = call.method + " " + call.path;  // never the query

    const HostRoute* route = findRoute(call, response, line);
    if (route == nullptr) {
      // The body was not read: on a kept-alive connection it would be taken for the next
      // request (a client or a proxy in front could smuggle one in), so the connection ends.
      if (mayHaveBody(request)) response.setKeepAlive(false);
      return;
    }
    if (!readBody(request, response, route->maxBodyBytes, line, call.body)) return;
    // Read whole: the deadline is for the client's sending, not for the plugin's answer.
    if (socket != nullptr) guard_.requestRead(*socket);
    answer(*route, call, response, line, socket);
  }

  static bool mayHaveBody(const Poco::Net::HTTPServerRequest& request) {
    return request.hasContentLength() ? request.getContentLength64() > 0
                                      : request.getChunkedTransferEncoding();
  }

  /// The route for the request's method and path, or null after answering 404 or 405.
  const HostRoute* findRoute(const HttpRequest& call, Poco::Net::HTTPServerResponse& response,
                             const std::string& line) {
    const HostRoute* route = nullptr;
    std::string allowed;
    for (const auto& candidate : routes_) {
      if (candidate.path != call.path) continue;
      allowed += (allowed.empty() ? "" : ", ") + candidate.method;
      if (candidate.method == call.method) route = &candidate;
    }
    if (route != nullptr) return route;
    if (allowed.empty()) {
      logger_.debug(kSource, line + " -> 404");
      sendJson(response, 404, "no route for " + call.path);
    } else {
      logger_.debug(kSource, line + " -> 405");
      response.set("Allow", allowed);
      sendJson(response, 405, "method " + call.method + " not allowed for " + call.path);
    }
    return nullptr;
  }

  /// Reads the whole body into `body`; false after answering 413 (over `limit`) or 400 (the
  /// body ended before its Content-Length).
  bool readBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                std::size_t limit, const std::string& line, std::string& body) {
    const std::string tooLarge = "request body larger than " + std::to_string(limit) + " bytes";
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      refused("answered 413", line + " -> 413 (body of " +
                                  std::to_string(request.getContentLength64()) + " bytes, limit " +
                                  std::to_string(limit) + ")");
      response.setKeepAlive(false);  // the unread body would be taken for the next request
      sendJson(response, 413, tooLarge);
      return false;
    }
    std::istream& in = request.stream();
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      body.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (body.size() > limit) {
        refused("answered 413",
                line + " -> 413 (chunked body over " + std::to_string(limit) + " bytes)");
        response.setKeepAlive(false);
        sendJson(response, 413, tooLarge);
        return false;
      }
    }
    // A connection closed early (by the client, or by the request deadline) leaves a short body:
    // never hand the plugin a truncated message.
    if (request.hasContentLength() &&
        static_cast<Poco::Int64>(body.size()) != request.getContentLength64()) {
      refused("answered 400", line + " -> 400 (body ended before its Content-Length)");
      response.setKeepAlive(false);
      sendJson(response, 400, "request body shorter than its Content-Length");
      return false;
    }
    return true;
  }

  /// A request refused for what its client sent: logged bounded (any client can send many).
  void refused(std::string_view kind, const std::string& message) {
    guard_.refusedRequests().refused(kind, LogLevel::Info, message);
  }

  /// Calls the plugin's handler and sends its answer (500 when it throws). The client must take
  /// the answer within the deadline too: one that never reads would hold the worker in a
  /// blocked write (Poco sets no send timeout).
  void answer(const HostRoute& route, const HttpRequest& call,
              Poco::Net::HTTPServerResponse& response, const std::string& line,
              const Poco::Net::StreamSocket* socket) {
    HostResponse reply;
    try {
      reply = route.handler(call);
      if (socket != nullptr) guard_.answering(*socket);
    } catch (const std::exception& e) {
      logger_.error(kSource, line + ": the plugin's handler threw: " + e.what());
      sendJson(response, 500, "internal error");
      return;
    } catch (...) {
      logger_.error(kSource, line + ": the plugin's handler threw");
      sendJson(response, 500, "internal error");
      return;
    }
    const HttpResponse& answer = reply.answer;
    logger_.debug(kSource, line + " -> " + std::to_string(answer.status));
    for (const auto& [name, value] : reply.headers) response.add(name, value);
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    response.setContentType(answer.contentType);
    response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    // Written whole here, within the answer's deadline: Poco would write the last buffer only
    // after the handler returned.
    count(response);
    response.send() << answer.body << std::flush;
  }

  /// Counts the request into the metrics, once, before its answer goes out: a client that
  /// reads /metrics after its answer finds its request counted.
  void count(const Poco::Net::HTTPServerResponse& response) {
    if (metrics_ == nullptr || counted_) return;
    counted_ = true;
    metrics_->requestAnswered(path_, response.getStatus());
  }

  const std::vector<HostRoute>& routes_;
  Logger& logger_;
  ConnectionGuard& guard_;
  HostMetrics* metrics_;
  std::string path_;      ///< the request's path, for the metrics (never the query)
  bool counted_ = false;  ///< one count a request (a handler serves one)
};

class RouteHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  RouteHandlerFactory(const std::vector<HostRoute>& routes, Logger& logger, ConnectionGuard& guard,
                      HostMetrics* metrics)
      : routes_(routes), logger_(logger), guard_(guard), metrics_(metrics) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RouteHandler(routes_, logger_, guard_, metrics_);  // Poco takes ownership
  }

 private:
  const std::vector<HostRoute>& routes_;
  Logger& logger_;
  ConnectionGuard& guard_;
  HostMetrics* metrics_;
};

/// Poco's HTTP connection, registered with the guard while it runs, so that its requests get a
/// deadline. The guard admitted it when it was accepted (AdmissionFilter).
class GuardedConnection final : public Poco::Net::HTTPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket,
                    const Poco::Net::HTTPServerParams::Ptr& params,
                    const Poco::Net::HTTPRequestHandlerFactory::Ptr& factory,
                    ConnectionGuard& guard)
      : HTTPServerConnection(socket, params, factory), guard_(guard) {}

  void run() override {
    const auto admission = guard_.serve(socket());
    if (admission) HTTPServerConnection::run();  // else the host is stopping: just close
  }

 private:
  ConnectionGuard& guard_;
};

/// Counts each connection against its address as it is accepted, before it waits for a worker,
/// and answers the ones the guard refuses (address over its cap, queue full) 503 at once: the
/// request is not read at all.
class AdmissionFilter final : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit AdmissionFilter(ConnectionGuard& guard) : guard_(guard) {}

  bool accept(const Poco::Net::StreamSocket& socket) override {
    if (guard_.accept(socket)) return true;
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: 39\r\nConnection: close\r\nRetry-After: 5\r\n\r\n"
        "{\"error\":\"too many connections, retry\"}";
    Poco::Net::StreamSocket refused(socket);
    try {
      // On the acceptor thread: never wait. A fresh connection's send buffer takes this whole.
      refused.sendBytes(kBusy.data(), static_cast<int>(kBusy.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
      refused.shutdown();
    } catch (...) {  // NOLINT: the client is gone; the server closes the socket
    }
    return false;
  }

 private:
  ConnectionGuard& guard_;
};

class GuardedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  GuardedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                           ConnectionGuard& guard)
      : params_(std::move(params)), factory_(std::move(factory)), guard_(guard) {}

  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new GuardedConnection(socket, params_, factory_, guard_);  // Poco takes ownership
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  ConnectionGuard& guard_;
};

}  // namespace

namespace {

/// A plugin's route as one of the host's: the same handler, no extra headers.
std::vector<HostRoute> asHostRoutes(std::vector<Route> routes) {
  std::vector<HostRoute> hostRoutes;
  for (auto& route : routes) {
    auto handler = std::move(route.handler);
    hostRoutes.push_back({std::move(route.method), std::move(route.path), route.maxBodyBytes,
                          [handler](const HttpRequest& request) {
                            return HostResponse{handler(request), {}};
                          }});
  }
  return hostRoutes;
}

}  // namespace

RouteServer::RouteServer(std::vector<Route> routes, Logger& logger, ListenerLimits limits)
    : RouteServer(asHostRoutes(std::move(routes)), logger, limits) {}

RouteServer::RouteServer(std::vector<HostRoute> routes, Logger& logger, ListenerLimits limits)
    : routes_(std::move(routes)), logger_(logger), limits_(limits) {}

RouteServer::~RouteServer() {
  stop();
}

Status RouteServer::bind(const std::string& host, std::uint16_t port, const std::string& key) {
  std::unique_ptr<Poco::Net::SocketAddress> address;
  try {
    address = std::make_unique<Poco::Net::SocketAddress>(host, port);
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument,
                key + ": invalid address '" + host + "': " + e.displayText());
  }
  try {
    // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second host must not share the port.
    socket_.bind(*address, true, false);
    socket_.listen(64);
    bound_ = true;
    return {};
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Unavailable, key + ": cannot listen on " + host + ":" +
                                            std::to_string(port) + ": " + e.displayText());
  }
}

std::uint16_t RouteServer::port() const {
  return socket_.address().port();
}

std::size_t RouteServer::workerThreadsFor(const ListenerLimits& limits) {
  const std::size_t cap = limits.maxConnectionsPerAddress;
  return std::max(kMinWorkerThreads, cap + (cap + 2) / 3);
}

void RouteServer::start() {
  if (!bound_ || running_) return;
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  // More workers than one address may hold (ListenerLimits), and a queue for the rest: slow
  // clients from one address cannot take every worker, and a burst waits instead of failing.
  const auto workers = static_cast<int>(workerThreadsFor(limits_));
  params->setMaxThreads(workers);
  params->setMaxQueued(static_cast<int>(kMaxQueuedConnections));
  params->setKeepAlive(true);
  // Short idle keep-alive so that idle connections give their worker back soon.
  params->setKeepAliveTimeout(Poco::Timespan(2, 0));
  params->setTimeout(Poco::Timespan(10, 0));
  // How long Poco's idle dispatcher threads wait for a connection before they look again:
  // stop() waits for them, and after a burst of connections Poco 1.11 leaves some waiting out
  // their whole idle time (10 s by default) instead of waking them.
  params->setThreadIdleTime(Poco::Timespan(1, 0));
  guard_ = std::make_unique<ConnectionGuard>(limits_, static_cast<std::size_t>(workers),
                                             kMaxQueuedConnections, logger_);
  pool_ = std::make_unique<Poco::ThreadPool>("dms-http", 1, workers);
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers =
      new RouteHandlerFactory(routes_, logger_, *guard_, metrics_);
  server_ = std::make_unique<Poco::Net::TCPServer>(
      new GuardedConnectionFactory(params, handlers, *guard_), *pool_, socket_, params);
  server_->setConnectionFilter(new AdmissionFilter(*guard_));
  server_->start();
  running_ = true;
}

void RouteServer::stopAccepting() noexcept {
  if (!running_) return;
  try {
    server_->stop();  // no new connections
    guard_->stop();   // ends idle keep-alive connections and requests still arriving
  } catch (const Poco::Exception& e) {
    logger_.error(kSource, "stopping the HTTP server: " + e.displayText());
  } catch (...) {
    logger_.error(kSource, "stopping the HTTP server failed");
  }
}

void RouteServer::stop() noexcept {
  if (!running_) return;
  stopAccepting();
  running_ = false;
  try {
    pool_->joinAll();  // requests being handled finish
    server_.reset();
    guard_.reset();
    pool_.reset();
  } catch (const Poco::Exception& e) {
    logger_.error(kSource, "stopping the HTTP server: " + e.displayText());
  } catch (...) {
    logger_.error(kSource, "stopping the HTTP server failed");
  }
}

}  // namespace dms::host
