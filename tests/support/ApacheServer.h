#pragma once
/// A real Apache httpd (Debian's /usr/sbin/apache2) with mod_dav + mod_dav_fs, started by a test
/// in a throwaway ServerRoot (config, DocumentRoot, DavLockDB, logs all in a TempDir), listening
/// on 127.0.0.1 at a free port, in the foreground (-DFOREGROUND), stopped (SIGTERM + wait) when
/// the object goes away. stop()/start() let a test kill and restart it mid-request on the same
/// port.
///
/// Root: Apache refuses to serve as root and switches to `User`/`Group`; when the test runs as
/// root the config says `User www-data` / `Group www-data` and the DocumentRoot and lock folder
/// are chown'ed to www-data (the TempDir is made world-traversable, 0755). As another user no
/// User/Group line is written and Apache keeps the caller's identity.
///
/// A missing /usr/sbin/apache2 or a server that does not come up throws std::runtime_error with
/// the reason and the tail of Apache's error log (a test failure, never a skip).

#include <sys/types.h>
#include <filesystem>
#include <memory>
#include <string>

#include "support/TempDir.h"

namespace dms::test {

enum class ApacheAuth { None, Basic, Digest };

struct ApacheOptions {
  ApacheAuth auth = ApacheAuth::None;
  std::string user = "dms";
  std::string password = "s3cret-pw";
  std::string realm = "dms-test";
  /// Serve HTTPS (mod_ssl) with a self-signed certificate for 127.0.0.1 made with the openssl
  /// command; certificateFile() is the PEM a client must trust.
  bool tls = false;
  /// Send static files with sendfile(2) (`EnableSendfile On`; Apache's default is off): the
  /// fast static server a big-download benchmark compares against (tests/bench/bigfile).
  bool sendfile = false;
};

class ApacheServer {
 public:
  /// Writes the configuration and starts the server; throws std::runtime_error on failure.
  explicit ApacheServer(ApacheOptions options = {});
  ~ApacheServer();
  ApacheServer(const ApacheServer&) = delete;
  ApacheServer& operator=(const ApacheServer&) = delete;

  /// Starts the server again (same port, same data) after stop(). Blocks until it accepts.
  void start();
  /// SIGTERM and wait for the process (SIGKILL to its process group after 2 s), then until no
  /// worker of it is left. No-op when not running. (A SIGKILL of the whole server, tried as a
  /// "crash", left Apache 2.4 stalling new connections' request bodies after the restart, so
  /// tests stop it this way.)
  void stop();
  /// SIGKILL to the whole server at once (a crash: no worker finishes its request), then waits
  /// until none of its processes is left. start() brings it back. No-op when not running.
  void crash();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  /// "http://127.0.0.1:<port>" ("https://..." with tls)
  std::string origin() const;
  /// The server's self-signed certificate (PEM) when tls is on.
  std::filesystem::path certificateFile() const { return dir_.path() / "cert.pem"; }
  /// The WebDAV root URL, "http://127.0.0.1:<port>/dav/".
  std::string davUrl() const;
  /// Folder on disk that davUrl() serves.
  std::filesystem::path davRoot() const { return davRoot_; }
  const ApacheOptions& options() const { return options_; }

  /// Creates a fresh collection <davRoot>/<name> on disk (owned by the serving user) and returns
  /// its URL with a trailing slash. Names are plain ASCII chosen by the test.
  std::string createCollection(const std::string& name);

  /// The last `maxBytes` of Apache's error log (for failure messages).
  std::string errorLogTail(std::size_t maxBytes = 4000) const;
  /// Apache's access log, one line a request: `<client> <user> "<method> <path> HTTP/1.1"
  /// <status> <bytes>` (tests count requests with it). Written after each answer is sent.
  std::filesystem::path accessLogFile() const { return dir_.path() / "access.log"; }

 private:
  void writeConfig();
  void makeCertificate();
  void waitForOldProcesses(pid_t group) const;
  void chownToServer(const std::filesystem::path& path) const;

  ApacheOptions options_;
  TempDir dir_{"dms-apache"};
  std::filesystem::path davRoot_;
  std::filesystem::path confFile_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace dms::test
