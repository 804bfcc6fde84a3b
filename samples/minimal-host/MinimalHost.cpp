// A minimal third-party DMS host: loads a plugin module (e.g. dms-plugin-ambita.so), hands it
// a document target of its own (files in a folder) and serves the plugin's routes (Ambita's
// push callback) from its own HTTP server until SIGINT/SIGTERM, printing the document events
// the plugin reports. See README.md.
//   minimal-host PLUGIN.so SECTION.json ARCHIVE_DIR DATA_DIR [PORT]
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <dms/ModuleLoader.h>

#include <csignal>
#include <iostream>
#include <sstream>

#include "FolderTarget.h"

struct StderrLogger final : dms::Logger {
  void log(dms::LogLevel, std::string_view source, std::string_view text) noexcept override {
    std::cerr << source << ": " << text << std::endl;
  }
};

/// Hands every request on a plugin route to the plugin; 404 for anything else.
struct RouteHandler final : Poco::Net::HTTPRequestHandler, Poco::Net::HTTPRequestHandlerFactory {
  explicit RouteHandler(std::vector<dms::Route> routes) : routes_(std::move(routes)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RouteHandler(routes_);
  }
  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    const auto query = in.getURI().find('?');
    dms::HttpRequest request{in.getMethod(),
                             in.getURI().substr(0, query),
                             query == std::string::npos ? "" : in.getURI().substr(query + 1),
                             {},
                             {},
                             in.clientAddress().host().toString()};
    dms::HttpResponse response{404, "text/plain", "no such route\n"};
    for (const auto& route : routes_) {
      if (route.method != request.method || route.path != request.path) continue;
      for (const auto& [name, value] : in) request.headers[Poco::toLower(name)] = value;
      std::ostringstream body;
      Poco::StreamCopier::copyStream(in.stream(), body, route.maxBodyBytes + 1);
      request.body = body.str();
      response = request.body.size() > route.maxBodyBytes
                     ? dms::HttpResponse{413, "text/plain", "body too large\n"}
                     : route.handler(request);
    }
    out.setStatus(std::to_string(response.status));
    out.setContentType(response.contentType);
    out.sendBuffer(response.body.data(), response.body.size());
  }
  std::vector<dms::Route> routes_;
};

/// Prints each document event the plugin reports (a real DMS would index or link the file).
struct PrintingSink final : dms::EventSink {
  dms::Status deliver(const dms::DocumentEvent& e) noexcept override {
    std::cout << "event " << e.id << " " << dms::toString(e.kind) << " order " << e.orderId
              << " asset " << e.assetId << " " << e.path << std::endl;
    return {};
  }
};

int fatal(const std::string& message) {
  std::cerr << "minimal-host: " << message << "\n";
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: minimal-host PLUGIN.so SECTION.json ARCHIVE DATA [PORT]\n";
    return 2;
  }
  sigset_t stopSignals;  // blocked in every thread (set before any starts); main waits for them
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  StderrLogger logger;
  const dms::PluginModule module = dms::ModuleLoader().loadPlugin(argv[1]);
  if (!module.ok()) return fatal(module.report().message);
  std::stringstream section;
  section << std::ifstream(argv[2]).rdbuf();
  const fs::path data = argv[4];
  fs::create_directories(data / "plugin");
  PrintingSink events;  // declared before the plugin: outlives it
  dms::HostServices services{&logger,
                             (data / "plugin").string(),
                             section.str(),
                             std::make_shared<FolderTarget>(argv[3]),
                             "minimal-host 1.0",
                             /*stateUrl: the plugin's default (SQLite)*/ "",
                             &events};
  auto plugin = module.create(services);
  if (!plugin) return fatal(plugin.error().describe());
  if (auto started = (*plugin)->startService(); !started) return fatal(started.error().describe());

  Poco::Net::ServerSocket socket(
      Poco::Net::SocketAddress("127.0.0.1", argc > 5 ? std::stoi(argv[5]) : 0));
  Poco::Net::HTTPServer server(new RouteHandler((*plugin)->routes()), socket,
                               new Poco::Net::HTTPServerParams);
  server.start();
  std::cout << "minimal-host listening on http://127.0.0.1:" << socket.address().port()
            << std::endl;
  int signal = 0;
  sigwait(&stopSignals, &signal);
  server.stopAll(true);  // routes are served only while the service runs
  (*plugin)->stop();
  std::cout << "minimal-host stopped" << std::endl;
  return 0;
}
