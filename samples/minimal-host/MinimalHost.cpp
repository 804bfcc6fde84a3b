// A minimal third-party DMS host: loads a plugin module (dms-plugin-ambita.so), hands it a
// document target of its own, serves the plugin's routes (Ambita's push callback) from its own
// HTTP server and prints the plugin's document events until SIGINT or SIGTERM. See README.md.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/String.h>
#include <dms/ModuleLoader.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

namespace fs = std::filesystem;
namespace net = Poco::Net;
using dms::ErrorCode;

/// The host's document target: files under a folder, metadata in memory (a real DMS keeps it in
/// its database). A put writes into <folder>/.spool, then renames the file into place: no
/// half-written file ever shows. The plugin checks paths, never puts to one path from two threads
/// at once, lists only in `verify`, never writes metadata alone, and moves only if capabilities()
/// say so: a host that runs no plugin command may refuse those three.
class FolderTarget final : public dms::DocumentTarget {
 public:
  explicit FolderTarget(const fs::path& root) : root_(root), spool_(root / ".spool") {
    fs::remove_all(spool_);  // what an interrupted put left
    fs::create_directories(spool_);
  }
  dms::Capabilities capabilities() const override { return {true, true, false, false}; }
  std::string describe() const override { return "folder:" + root_.string(); }
  dms::Status ensureFolder(const std::string& path) override {
    std::error_code error;
    fs::create_directories(root_ / path, error);
    if (error) return fail(ErrorCode::Unavailable, path + ": " + error.message());
    return {};
  }
  dms::Result<dms::EntryInfo> put(const std::string& path, std::istream& content,
                                  const dms::Metadata& metadata, dms::PutMode mode) override {
    std::error_code error, ignored;
    if (mode == dms::PutMode::CreateNew && fs::exists(root_ / path, ignored))
      return fail(ErrorCode::AlreadyExists, path);  // nobody else puts to `path` meanwhile
    const fs::path temp = spool_ / std::to_string(++puts_);
    std::ofstream(temp, std::ios::binary) << content.rdbuf();
    if (!content.bad()) fs::rename(temp, root_ / path, error);
    fs::remove(temp, ignored);  // still there if reading or renaming failed
    if (content.bad()) return fail(ErrorCode::DataLoss, "reading " + path + " failed");
    if (error) return fail(ErrorCode::DataLoss, path + ": " + error.message());
    std::lock_guard lock(mutex_);
    metadata_[path] = metadata;
    return stat(path);
  }
  dms::Result<std::unique_ptr<std::istream>> get(const std::string& path) override {
    auto file = std::make_unique<std::ifstream>(root_ / path, std::ios::binary);
    if (!*file) return fail(ErrorCode::NotFound, path + " not found");
    return std::unique_ptr<std::istream>(std::move(file));
  }
  dms::Result<dms::Metadata> readMetadata(const std::string& path) override {
    std::lock_guard lock(mutex_);
    if (!metadata_.count(path)) return fail(ErrorCode::NotFound, path + " not found");
    return metadata_[path];
  }
  dms::Result<dms::EntryInfo> stat(const std::string& path) override {
    std::error_code error;
    const bool folder = fs::is_directory(root_ / path, error);
    if (!folder && !fs::is_regular_file(root_ / path, error))
      return fail(ErrorCode::NotFound, path + " not found");
    return dms::EntryInfo{path, fs::path(path).filename().string(),
                          folder ? dms::EntryType::Folder : dms::EntryType::File,
                          folder ? 0 : fs::file_size(root_ / path, error), 0};
  }
  dms::Status remove(const std::string& path, bool prune) override {
    std::error_code error;
    if (!fs::remove(root_ / path, error)) return fail(ErrorCode::NotFound, path + " not found");
    for (auto dir = fs::path(path).parent_path(); prune && !dir.empty(); dir = dir.parent_path())
      if (!fs::remove(root_ / dir, error)) break;  // not empty (or gone): stop
    std::lock_guard lock(mutex_);
    metadata_.erase(path);
    return {};
  }
  dms::Result<std::vector<dms::EntryInfo>> list(const std::string& folder) override {
    return fail(ErrorCode::NotSupported, "cannot list " + folder);
  }
  dms::Status writeMetadata(const std::string& path, const dms::Metadata&) override {
    return fail(ErrorCode::NotSupported, "cannot write metadata of " + path);
  }
  dms::Status move(const std::string& from, const std::string&) override {
    return fail(ErrorCode::NotSupported, "cannot move " + from);
  }
  dms::Status recover() override { return {}; }  // the constructor empties the spool

 private:
  const fs::path root_, spool_;
  std::atomic<int> puts_{0};  // names the spool files of puts in flight
  std::mutex mutex_;
  std::map<std::string, dms::Metadata> metadata_;
};

/// The plugin's log goes to stderr, its document events to stdout (a real DMS would index them).
struct Console final : dms::Logger, dms::EventSink {
  void log(dms::LogLevel, std::string_view source, std::string_view text) noexcept override {
    std::cerr << source << ": " << text << std::endl;
  }
  dms::Status deliver(const dms::DocumentEvent& e) noexcept override {
    std::cout << "event " << e.id << " " << dms::toString(e.kind) << " order " << e.orderId
              << " asset " << e.assetId << " " << e.path << std::endl;
    return {};
  }
};

/// Hands each request on one of the plugin's routes to the plugin; 404 for anything else.
struct RouteHandler final : net::HTTPRequestHandler, net::HTTPRequestHandlerFactory {
  explicit RouteHandler(std::vector<dms::Route> routes) : routes_(std::move(routes)) {}
  net::HTTPRequestHandler* createRequestHandler(const net::HTTPServerRequest&) override {
    return new RouteHandler(routes_);
  }
  void handleRequest(net::HTTPServerRequest& in, net::HTTPServerResponse& out) override {
    const std::string uri = in.getURI(), address = in.clientAddress().host().toString();
    const auto query = uri.find('?');
    dms::HttpRequest request{in.getMethod(), uri.substr(0, query), "", {}, {}, address};
    if (query != std::string::npos) request.query = uri.substr(query + 1);
    dms::HttpResponse response{404, "text/plain", "no such route\n"};
    for (const auto& route : routes_) {
      if (route.method != request.method || route.path != request.path) continue;
      for (const auto& [name, value] : in) request.headers[Poco::toLower(name)] = value;
      request.body.resize(route.maxBodyBytes + 1);  // read at most one byte over the limit
      request.body.resize(in.stream().read(request.body.data(), request.body.size()).gcount());
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

int fatal(const std::string& message, int exitCode = 1) {
  std::cerr << "minimal-host: " << message << "\n";
  return exitCode;
}

int main(int argc, char** argv) {
  if (argc < 5) return fatal("usage: minimal-host PLUGIN.so SECTION.json ARCHIVE DATA [PORT]", 2);
  sigset_t stopSignals;  // blocked in every thread (before any starts); main waits for them
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  const dms::PluginModule module = dms::ModuleLoader().loadPlugin(argv[1]);
  if (!module.ok()) return fatal(module.report().message);
  std::stringstream section;
  if (!(section << std::ifstream(argv[2]).rdbuf()))  // missing, unreadable or empty
    return fatal("cannot read " + std::string(argv[2]) + " (the plugin's JSON section)");
  fs::create_directories(argv[4]);
  Console console;  // outlives the plugin, as HostServices requires
  auto plugin = module.create({&console, argv[4], section.str(),
                               std::make_shared<FolderTarget>(argv[3]), "minimal-host 1.0",
                               /*stateUrl: the plugin's default (SQLite)*/ "", &console});
  if (!plugin) return fatal(plugin.error().describe());
  if (auto started = (*plugin)->startService(); !started) return fatal(started.error().describe());

  net::ServerSocket socket(net::SocketAddress("127.0.0.1", argc > 5 ? argv[5] : "0"));
  net::HTTPServer server(new RouteHandler((*plugin)->routes()), socket, new net::HTTPServerParams);
  server.start();
  std::cout << "minimal-host listening on http://127.0.0.1:" << socket.address().port()
            << std::endl;
  int signal = 0;
  sigwait(&stopSignals, &signal);
  server.stopAll(true);  // routes are served only while the service runs
  (*plugin)->stop();
  std::cout << "minimal-host stopped" << std::endl;
}
