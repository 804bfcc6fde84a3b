#include "support/DavServer.h"

#include <signal.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <thread>

#include "support/ApacheServer.h"
#include "support/ChildProcess.h"
#include "support/Loopback.h"
#include "support/TempDir.h"

namespace dms::test {
namespace {

namespace fs = std::filesystem;

/// Apache with Basic authentication (as a DMS would demand), through ApacheServer.
class ApacheDavServer final : public DavServer {
 public:
  explicit ApacheDavServer(const std::string& password) : apache_(basicAuth(password)) {}
  DavServerKind kind() const override { return DavServerKind::Apache; }
  std::string davUrl() const override { return apache_.davUrl(); }
  fs::path davRoot() const override { return apache_.davRoot(); }
  std::string user() const override { return apache_.options().user; }
  std::string password() const override { return apache_.options().password; }
  // mod_dav_fs reads the disk on every request, and the folder must belong to www-data.
  std::string createCollection(const std::string& name) override {
    return apache_.createCollection(name);
  }
  std::string logTail() const override { return apache_.errorLogTail(); }
  ApacheServer* apache() override { return &apache_; }

 private:
  static ApacheOptions basicAuth(const std::string& password) {
    ApacheOptions options;
    options.auth = ApacheAuth::Basic;
    if (!password.empty()) options.password = password;
    return options;
  }
  ApacheServer apache_;
};

/// A server run as one foreground child process (lighttpd -D, nginx without master process,
/// rclone serve): the configuration is written by `configure(port)` into the throwaway folder,
/// the child is started with `argv`, and the object waits until the port accepts. As root the
/// servers keep root's identity (no user to switch to is configured), so they can write the
/// throwaway folder.
class ChildDavServer final : public DavServer {
 public:
  using Configure = std::function<std::vector<std::string>(const fs::path& dir, int port)>;

  ChildDavServer(DavServerKind kind, std::string package, const Configure& configure)
      : kind_(kind), package_(std::move(package)) {
    fs::create_directories(davRoot());
    std::string lastError;
    // Another process may take the port between our probe and the server's bind: try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = freeLoopbackPort();
      try {
        launch(configure(dir_.path(), port_));
        return;
      } catch (const std::exception& e) {
        lastError = e.what();
      }
    }
    throw std::runtime_error(lastError);
  }

  ~ChildDavServer() override {
    if (child_) child_->stop(SIGTERM, std::chrono::seconds(5));
  }

  DavServerKind kind() const override { return kind_; }
  std::string davUrl() const override {
    return "http://127.0.0.1:" + std::to_string(port_) + "/dav/";
  }
  fs::path davRoot() const override { return dir_.path() / "htdocs" / "dav"; }

  std::string createCollection(const std::string& name) override {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    Poco::Net::HTTPRequest request("MKCOL", "/dav/" + name + "/", "HTTP/1.1");
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response).ignore(1 << 20);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_CREATED)
      throw std::runtime_error(davServerName(kind_) + ": MKCOL /dav/" + name + "/ answered " +
                               std::to_string(response.getStatus()) + "\n" + logTail());
    return davUrl() + name + "/";
  }

  std::string logTail() const override {
    std::string out = fileTail(dir_.path() / "error.log", 4000);
    if (child_)
      out += child_->err().substr(child_->err().size() > 4000 ? child_->err().size() - 4000 : 0);
    return out;
  }

 private:
  void launch(const std::vector<std::string>& argv) {
    if (::access(argv.front().c_str(), X_OK) != 0)
      throw std::runtime_error(davServerName(kind_) + ": " + argv.front() +
                               " not found; install the Debian package(s) " + package_);
    child_ = std::make_unique<ChildProcess>(argv, ChildProcess::Env{}, dir_.path());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!child_->running()) {
        auto result = child_->wait(std::chrono::seconds(1));
        child_.reset();
        throw std::runtime_error(davServerName(kind_) + " exited at start-up (status " +
                                 std::to_string(result.exitCode) + "):\n" + result.err +
                                 result.out + fileTail(dir_.path() / "error.log", 2000));
      }
      if (acceptsOnLoopback(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string tail = logTail();
    child_.reset();
    throw std::runtime_error(davServerName(kind_) + " did not accept connections on port " +
                             std::to_string(port_) + " within 15 s:\n" + tail);
  }

  DavServerKind kind_;
  std::string package_;
  TempDir dir_{"dms-dav"};
  int port_ = 0;
  std::unique_ptr<ChildProcess> child_;
};

std::vector<std::string> lighttpdConfig(const fs::path& dir, int port) {
  fs::create_directories(dir / "upload");
  std::ofstream conf(dir / "lighttpd.conf");
  conf << "server.document-root = \"" << (dir / "htdocs").string() << "\"\n"
       << "server.bind = \"127.0.0.1\"\nserver.port = " << port << "\n"
       << "server.pid-file = \"" << (dir / "lighttpd.pid").string() << "\"\n"
       << "server.errorlog = \"" << (dir / "error.log").string() << "\"\n"
       << "server.upload-dirs = ( \"" << (dir / "upload").string() << "\" )\n"
       << "server.modules = ( \"mod_webdav\" )\n"
       << "$HTTP[\"url\"] =~ \"^/dav($|/)\" {\n"
       << "  webdav.activate = \"enable\"\n"
       << "  webdav.sqlite-db-name = \"" << (dir / "webdav.sqlite").string() << "\"\n"
       << "}\n";
  return {"/usr/sbin/lighttpd", "-D", "-f", (dir / "lighttpd.conf").string()};
}

std::vector<std::string> nginxConfig(const fs::path& dir, int port) {
  fs::create_directories(dir / "body");
  const std::string d = dir.string();
  std::ofstream conf(dir / "nginx.conf");
  // master_process off: one process that keeps the caller's identity and dies with SIGTERM.
  conf << "daemon off;\nmaster_process off;\n"
       << "pid " << d << "/nginx.pid;\n"
       << "error_log " << d << "/error.log warn;\n"
       << "load_module /usr/lib/nginx/modules/ngx_http_dav_ext_module.so;\n"
       << "events { worker_connections 512; }\n"
       << "http {\n  access_log off;\n  client_max_body_size 0;\n"
       << "  client_body_temp_path " << d << "/body;\n"
       << "  proxy_temp_path " << d << "/body;\n  fastcgi_temp_path " << d << "/body;\n"
       << "  uwsgi_temp_path " << d << "/body;\n  scgi_temp_path " << d << "/body;\n"
       << "  dav_ext_lock_zone zone=davlock:1m;\n"
       << "  server {\n    listen 127.0.0.1:" << port << ";\n"
       << "    location /dav/ {\n      root " << d << "/htdocs;\n"
       << "      dav_methods PUT DELETE MKCOL COPY MOVE;\n"
       << "      dav_ext_methods PROPFIND OPTIONS LOCK UNLOCK;\n"
       << "      dav_ext_lock zone=davlock;\n      dav_access user:rw group:rw all:r;\n"
       << "    }\n  }\n}\n";
  // -e: the start-up log goes to our folder too, not to /var/log/nginx.
  return {"/usr/sbin/nginx", "-c", d + "/nginx.conf", "-e", d + "/error.log", "-p", d};
}

std::vector<std::string> rcloneConfig(const fs::path& dir, int port) {
  std::ofstream(dir / "rclone.conf").close();  // an empty config: no user's remotes
  return {"/usr/bin/rclone", "serve",
          "webdav",          (dir / "htdocs" / "dav").string(),
          "--addr",          "127.0.0.1:" + std::to_string(port),
          "--baseurl",       "/dav",
          "--config",        (dir / "rclone.conf").string(),
          "--log-file",      (dir / "error.log").string()};
}

}  // namespace

std::string davServerName(DavServerKind kind) {
  switch (kind) {
    case DavServerKind::Apache:
      return "Apache";
    case DavServerKind::Lighttpd:
      return "Lighttpd";
    case DavServerKind::Nginx:
      return "Nginx";
    case DavServerKind::Rclone:
      return "Rclone";
  }
  return "Unknown";
}

std::vector<DavServerKind> allDavServerKinds() {
  return {DavServerKind::Apache, DavServerKind::Lighttpd, DavServerKind::Nginx,
          DavServerKind::Rclone};
}

std::unique_ptr<DavServer> DavServer::start(DavServerKind kind, const std::string& password) {
  switch (kind) {
    case DavServerKind::Apache:
      return std::make_unique<ApacheDavServer>(password);
    case DavServerKind::Lighttpd:
      return std::make_unique<ChildDavServer>(kind, "lighttpd lighttpd-mod-webdav", lighttpdConfig);
    case DavServerKind::Nginx:
      return std::make_unique<ChildDavServer>(kind, "nginx libnginx-mod-http-dav-ext", nginxConfig);
    case DavServerKind::Rclone:
      return std::make_unique<ChildDavServer>(kind, "rclone", rcloneConfig);
  }
  throw std::runtime_error("DavServer::start: unknown kind");
}

}  // namespace dms::test
