#include "RouteServer.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>

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
  RouteHandler(const std::vector<Route>& routes, Logger& logger)
      : routes_(routes), logger_(logger) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    const std::string& uri = request.getURI();
    const auto mark = uri.find('?');
    const std::string path = uri.substr(0, mark);
    const std::string query = mark == std::string::npos ? "" : uri.substr(mark + 1);
    const std::string line = request.getMethod() + " " + path;  // never the query

    const Route* route = nullptr;
    std::string allowed;
    for (const auto& candidate : routes_) {
      if (candidate.path != path) continue;
      allowed += (allowed.empty() ? "" : ", ") + candidate.method;
      if (candidate.method == request.getMethod()) route = &candidate;
    }
    if (route == nullptr) {
      if (allowed.empty()) {
        logger_.debug(kSource, line + " -> 404");
        sendJson(response, 404, "no route for " + path);
      } else {
        logger_.debug(kSource, line + " -> 405");
        response.set("Allow", allowed);
        sendJson(response, 405, "method " + request.getMethod() + " not allowed for " + path);
      }
      return;
    }

    HttpRequest call;
    call.method = request.getMethod();
    call.path = path;
    call.query = query;
    call.remoteAddress = request.clientAddress().toString();
    for (const auto& [name, value] : request) call.headers[Poco::toLower(name)] = value;

    const std::size_t limit = route->maxBodyBytes;
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      logger_.info(kSource, line + " -> 413 (body of " +
                                std::to_string(request.getContentLength64()) + " bytes, limit " +
                                std::to_string(limit) + ")");
      response.setKeepAlive(false);  // the unread body would be taken for the next request
      sendJson(response, 413, "request body larger than " + std::to_string(limit) + " bytes");
      return;
    }
    std::istream& in = request.stream();
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      call.body.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (call.body.size() > limit) {
        logger_.info(kSource,
                     line + " -> 413 (chunked body over " + std::to_string(limit) + " bytes)");
        response.setKeepAlive(false);
        sendJson(response, 413, "request body larger than " + std::to_string(limit) + " bytes");
        return;
      }
    }

    HttpResponse answer;
    try {
      answer = route->handler(call);
    } catch (const std::exception& e) {
      logger_.error(kSource, line + ": the plugin's handler threw: " + e.what());
      sendJson(response, 500, "internal error");
      return;
    } catch (...) {
      logger_.error(kSource, line + ": the plugin's handler threw");
      sendJson(response, 500, "internal error");
      return;
    }
    logger_.debug(kSource, line + " -> " + std::to_string(answer.status));
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    response.setContentType(answer.contentType);
    response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    response.send() << answer.body;
  }

 private:
  const std::vector<Route>& routes_;
  Logger& logger_;
};

class RouteHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  RouteHandlerFactory(const std::vector<Route>& routes, Logger& logger)
      : routes_(routes), logger_(logger) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RouteHandler(routes_, logger_);  // Poco takes ownership
  }

 private:
  const std::vector<Route>& routes_;
  Logger& logger_;
};

}  // namespace

RouteServer::RouteServer(std::vector<Route> routes, Logger& logger)
    : routes_(std::move(routes)), logger_(logger) {}

RouteServer::~RouteServer() {
  stop();
}

Status RouteServer::bind(const std::string& host, std::uint16_t port) {
  std::unique_ptr<Poco::Net::SocketAddress> address;
  try {
    address = std::make_unique<Poco::Net::SocketAddress>(host, port);
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument,
                "http.listen: invalid address '" + host + "': " + e.displayText());
  }
  try {
    // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second host must not share the port.
    socket_.bind(*address, true, false);
    socket_.listen(64);
    bound_ = true;
    return {};
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Unavailable, "http.listen: cannot listen on " + host + ":" +
                                            std::to_string(port) + ": " + e.displayText());
  }
}

std::uint16_t RouteServer::port() const {
  return socket_.address().port();
}

void RouteServer::start() {
  if (!bound_ || running_) return;
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setMaxQueued(64);
  params->setKeepAlive(true);
  // Short idle keep-alive so that stop() does not wait long for idle connections.
  params->setKeepAliveTimeout(Poco::Timespan(2, 0));
  params->setTimeout(Poco::Timespan(10, 0));
  pool_ = std::make_unique<Poco::ThreadPool>("dms-http", 1, 8);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new RouteHandlerFactory(routes_, logger_),
                                                    *pool_, socket_, params);
  server_->start();
  running_ = true;
}

void RouteServer::stop() noexcept {
  if (!running_) return;
  running_ = false;
  try {
    server_->stopAll(true);
    pool_->joinAll();
    server_.reset();
    pool_.reset();
  } catch (const Poco::Exception& e) {
    logger_.error(kSource, "stopping the HTTP server: " + e.displayText());
  } catch (...) {
    logger_.error(kSource, "stopping the HTTP server failed");
  }
}

}  // namespace dms::host
