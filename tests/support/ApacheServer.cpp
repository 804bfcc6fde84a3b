#include "support/ApacheServer.h"

#include "support/Loopback.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>
#include <Poco/SHA1Engine.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace dms::test {
namespace {

constexpr const char* kApacheBinary = "/usr/sbin/apache2";
constexpr const char* kModuleDir = "/usr/lib/apache2/modules";

std::string sha1Base64(const std::string& text) {
  Poco::SHA1Engine engine;
  engine.update(text);
  const Poco::DigestEngine::Digest& digest = engine.digest();
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.write(reinterpret_cast<const char*>(digest.data()),
                static_cast<std::streamsize>(digest.size()));
  encoder.close();
  return out.str();
}

std::string md5Hex(const std::string& text) {
  Poco::MD5Engine engine;
  engine.update(text);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace

ApacheServer::ApacheServer(ApacheOptions options) : options_(std::move(options)) {
  if (::access(kApacheBinary, X_OK) != 0)
    throw std::runtime_error(std::string("ApacheServer: ") + kApacheBinary +
                             " not found or not executable; install the Debian package apache2");
  // mkdtemp makes the folder 0700: the serving user must be able to traverse it.
  ::chmod(dir_.path().c_str(), 0755);
  davRoot_ = dir_.path() / "htdocs" / "dav";
  std::filesystem::create_directories(davRoot_);
  std::filesystem::create_directories(dir_.path() / "lock");
  std::filesystem::create_directories(dir_.path() / "run");
  chownToServer(davRoot_);
  chownToServer(dir_.path() / "lock");
  confFile_ = dir_.path() / "httpd.conf";
  if (options_.tls) makeCertificate();

  // Another process may grab the port between our probe and Apache's bind: try a few.
  std::string lastError;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = freeLoopbackPort();
    writeConfig();
    try {
      start();
      return;
    } catch (const std::exception& e) {
      lastError = e.what();
    }
  }
  throw std::runtime_error(lastError);
}

ApacheServer::~ApacheServer() {
  stop();
}

std::string ApacheServer::origin() const {
  return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void ApacheServer::makeCertificate() {
  const std::string dir = dir_.path().string();
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost -keyout '" +
      dir + "/key.pem' -out '" + dir + "/cert.pem' > '" + dir + "/openssl.log' 2>&1";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error(
        "ApacheServer: cannot make a test certificate with openssl (Debian "
        "package openssl): " +
        fileTail(dir_.path() / "openssl.log", 2000));
}

std::string ApacheServer::davUrl() const {
  return origin() + "/dav/";
}

void ApacheServer::chownToServer(const std::filesystem::path& path) const {
  if (::geteuid() != 0) return;
  const passwd* pw = ::getpwnam("www-data");
  if (pw == nullptr) throw std::runtime_error("ApacheServer: running as root but no user www-data");
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("ApacheServer: cannot chown " + path.string());
}

std::string ApacheServer::createCollection(const std::string& name) {
  std::filesystem::path folder = davRoot_ / name;
  std::filesystem::create_directories(folder);
  chownToServer(folder);
  return davUrl() + name + "/";
}

void ApacheServer::writeConfig() {
  const std::string root = dir_.path().string();
  std::ofstream conf(confFile_);
  conf << "ServerRoot \"" << root << "\"\n"
       << "PidFile \"" << root << "/run/httpd.pid\"\n"
       << "DefaultRuntimeDir \"" << root << "/run\"\n"
       << "Listen 127.0.0.1:" << port_ << "\n"
       << "ServerName 127.0.0.1\n";
  for (const char* module : {"mpm_event", "authz_core", "authn_core", "authn_file", "authz_user",
                             "auth_basic", "auth_digest", "dav", "dav_fs"}) {
    conf << "LoadModule " << module << "_module " << kModuleDir << "/mod_" << module << ".so\n";
  }
  if (options_.tls) {
    conf << "LoadModule socache_shmcb_module " << kModuleDir << "/mod_socache_shmcb.so\n"
         << "LoadModule ssl_module " << kModuleDir << "/mod_ssl.so\n"
         << "SSLEngine on\n"
         << "SSLCertificateFile \"" << root << "/cert.pem\"\n"
         << "SSLCertificateKeyFile \"" << root << "/key.pem\"\n"
         << "SSLSessionCache none\n";
  }
  if (::geteuid() == 0) conf << "User www-data\nGroup www-data\n";
  conf << "ErrorLog \"" << root << "/error.log\"\n"
       << "LogLevel warn\n"
       << "LogFormat \"%h %u \\\"%r\\\" %>s %b\" common\n"
       << "CustomLog \"" << root << "/access.log\" common\n"
       << "KeepAlive On\nMaxKeepAliveRequests 0\nKeepAliveTimeout 15\nTimeout 30\n"
       << "StartServers 1\nServerLimit 1\nThreadsPerChild 32\nMaxRequestWorkers 32\n"
       << "MinSpareThreads 1\nMaxSpareThreads 32\n"
       << "LimitRequestBody 0\n";
  if (options_.sendfile) conf << "EnableSendfile On\n";
  conf << "DocumentRoot \"" << root << "/htdocs\"\n"
       << "DavLockDB \"" << root << "/lock/DavLock\"\n"
       << "<Directory \"" << davRoot_.string() << "\">\n"
       << "  Dav On\n"
       << "  Options None\n  AllowOverride None\n";
  if (options_.auth == ApacheAuth::None) {
    conf << "  Require all granted\n";
  } else {
    const std::filesystem::path users = dir_.path() / "users";
    std::ofstream file(users);
    if (options_.auth == ApacheAuth::Basic) {
      file << options_.user << ":{SHA}" << sha1Base64(options_.password) << "\n";
      conf << "  AuthType Basic\n  AuthBasicProvider file\n";
    } else {
      file << options_.user << ":" << options_.realm << ":"
           << md5Hex(options_.user + ":" + options_.realm + ":" + options_.password) << "\n";
      conf << "  AuthType Digest\n  AuthDigestProvider file\n";
    }
    conf << "  AuthName \"" << options_.realm << "\"\n"
         << "  AuthUserFile \"" << users.string() << "\"\n"
         << "  Require valid-user\n";
  }
  conf << "</Directory>\n";
}

void ApacheServer::start() {
  if (pid_ > 0) return;
  const std::string conf = confFile_.string();
  const std::string stderrFile = (dir_.path() / "stderr.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stderrFile.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderrFile.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  std::vector<std::string> args{kApacheBinary, "-f", conf, "-DFOREGROUND"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Its own process group, so that stop() reaches the worker children too.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, kApacheBinary, &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0)
    throw std::runtime_error(std::string("ApacheServer: cannot start ") + kApacheBinary + ": " +
                             std::strerror(rc));
  pid_ = pid;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("ApacheServer: apache2 exited at start-up (status " +
                               std::to_string(status) + "):\n" +
                               fileTail(dir_.path() / "stderr.log", 2000) + errorLogTail());
    }
    if (acceptsOnLoopback(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("ApacheServer: apache2 did not accept connections on port " +
                           std::to_string(port_) + " within 15 s:\n" + errorLogTail());
}

void ApacheServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  // Apache stops its workers and exits; a worker stuck in a request gets SIGKILL after 2 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::killpg(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::killpg(pid_, SIGKILL);  // orphaned workers, if any (ESRCH otherwise)
  waitForOldProcesses(pid_);
  pid_ = -1;
}

void ApacheServer::crash() {
  if (pid_ <= 0) return;
  ::killpg(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  waitForOldProcesses(pid_);
  pid_ = -1;
}

void ApacheServer::waitForOldProcesses(pid_t group) const {
  // SIGKILL takes effect only when a worker leaves the kernel (e.g. a disk write under load).
  // Until then it still holds the listening socket, and the kernel may hand new connections
  // to it instead of the restarted server: wait until no live member of the group remains.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    bool alive = false;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      // "pid (comm) state ppid pgrp ...": comm may contain spaces, so parse after ')'.
      const auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream fields(line.substr(close + 2));
      char state = 0;
      long ppid = 0;
      long pgrp = 0;
      fields >> state >> ppid >> pgrp;
      if (pgrp == group && state != 'Z' && state != 'X') {
        alive = true;
        break;
      }
    }
    if (!alive) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string ApacheServer::errorLogTail(std::size_t maxBytes) const {
  return fileTail(dir_.path() / "error.log", maxBytes);
}

}  // namespace dms::test
