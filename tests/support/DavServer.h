#pragma once
/// The real WebDAV servers the connector is tested against, behind one interface so that the
/// conformance, end-to-end and crash tests run unchanged against each of them. Every server is
/// a Debian package started by the test as a child process in the foreground, with its own
/// configuration, data, pid, log and temporary files in a throwaway folder, listening on
/// 127.0.0.1 at a free port, and stopped when the object goes away (the distro's own service
/// instances are never used).
///
///   Apache     apache2, mod_dav + mod_dav_fs: dead properties stored, locks, Overwrite: F
///              (tests/support/ApacheServer.h; Basic auth here).
///   Lighttpd   lighttpd + lighttpd-mod-webdav: properties in SQLite, a PROPPATCH answered
///              "204 No Content", locks.
///   Nginx      nginx's dav module + libnginx-mod-http-dav-ext: no PROPPATCH (405).
///   Rclone     `rclone serve webdav` (Go's x/net/webdav): PROPPATCH refused per property (403
///              in a 207), no dead properties, directory listings cached.
///
/// A server that is missing or does not come up throws std::runtime_error naming the Debian
/// package and with the tail of its log (a test failure, never a skip).

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace dms::test {

class ApacheServer;

enum class DavServerKind { Apache, Lighttpd, Nginx, Rclone };

/// "Apache", "Lighttpd", "Nginx", "Rclone" (test names).
std::string davServerName(DavServerKind kind);
inline void PrintTo(DavServerKind kind, std::ostream* out) {
  *out << davServerName(kind);
}
/// Every kind, for INSTANTIATE_TEST_SUITE_P.
std::vector<DavServerKind> allDavServerKinds();

class DavServer {
 public:
  virtual ~DavServer() = default;

  /// Starts a server of `kind`; throws std::runtime_error when it cannot. `password`: the
  /// Basic-auth password of a server that demands one (Apache; empty: a default).
  static std::unique_ptr<DavServer> start(DavServerKind kind, const std::string& password = "");

  virtual DavServerKind kind() const = 0;
  /// The WebDAV root URL with a trailing slash, e.g. "http://127.0.0.1:<port>/dav/".
  virtual std::string davUrl() const = 0;
  /// Folder on disk that davUrl() serves.
  virtual std::filesystem::path davRoot() const = 0;
  /// Basic-auth credentials the server demands; empty user: none.
  virtual std::string user() const { return {}; }
  virtual std::string password() const { return {}; }
  /// Creates a fresh collection `name` (plain ASCII chosen by the test) and returns its URL
  /// with a trailing slash. Made through the server (MKCOL) unless the server reads the disk
  /// afresh on every request, so that a server caching listings sees it.
  virtual std::string createCollection(const std::string& name) = 0;
  /// The last part of the server's error log (for failure messages).
  virtual std::string logTail() const = 0;
  /// The Apache server behind an Apache kind (to crash and restart it); nullptr otherwise.
  virtual ApacheServer* apache() { return nullptr; }
};

}  // namespace dms::test
