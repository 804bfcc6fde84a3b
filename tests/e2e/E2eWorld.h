#pragma once
/// Everything one end-to-end test runs against, real processes only: the ambita-sandbox
/// (tests/support/SandboxProcess.h) with its own credentials, a document target (a folder for
/// the filesystem connector, or a real WebDAV server for the WebDAV connector: Apache with
/// Basic authentication, lighttpd, nginx or rclone), a dms-host configuration file in a fresh
/// TempDir whose secrets come from the environment (`${E2E_...}`), and a view of the archive from
/// the outside. Each test makes its own world; the destructor stops the servers and removes the
/// folder.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ArchiveView.h"
#include "support/ApacheServer.h"
#include "support/ChildProcess.h"
#include "support/DavServer.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace dms::e2e {

/// The filesystem target, or the WebDAV target on one of the real servers of
/// tests/support/DavServer.h.
enum class TargetKind { Filesystem, WebDavApache, WebDavLighttpd, WebDavNginx, WebDavRclone };

/// "Filesystem", "WebDavApache", ... (test names).
std::string targetName(TargetKind kind);
/// Every kind, for INSTANTIATE_TEST_SUITE_P.
std::vector<TargetKind> allTargetKinds();
/// The WebDAV server of a WebDav* kind; nullopt for Filesystem.
std::optional<test::DavServerKind> davServerOf(TargetKind kind);
/// For GoogleTest's messages.
inline void PrintTo(TargetKind kind, std::ostream* out) {
  *out << targetName(kind);
}

struct WorldOptions {
  TargetKind target = TargetKind::Filesystem;
  std::vector<std::string> sandboxArgs;  ///< extra sandbox flags
  std::string pushSecret;                ///< ambita.push.secret; empty: none
  int concurrency = 4;                   ///< ambita.filing.concurrency
  int maxConnectionsPerOrigin = 0;       ///< ambita.maxConnectionsPerOrigin; 0: the default
};

class E2eWorld {
 public:
  /// Starts the servers and writes the configuration; throws std::runtime_error on failure.
  explicit E2eWorld(WorldOptions options = {});
  ~E2eWorld();
  E2eWorld(const E2eWorld&) = delete;
  E2eWorld& operator=(const E2eWorld&) = delete;

  test::SandboxProcess& sandbox() { return *sandbox_; }
  /// The sandbox flags that set the credentials the configuration uses (for a second sandbox
  /// the same configuration could talk to).
  static std::vector<std::string> sandboxCredentialArgs();
  const ArchiveView& archive() const { return *archive_; }
  /// The WebDAV server (only for TargetKind::WebDav; throws std::logic_error otherwise).
  test::ApacheServer& apache();
  const std::filesystem::path& workDir() const { return work_.path(); }
  std::filesystem::path configFile() const { return work_.path() / "dms-host.json"; }
  std::filesystem::path dataDir() const { return work_.path() / "data"; }
  /// The filesystem target's root (only for TargetKind::Filesystem).
  std::filesystem::path archiveRoot() const { return work_.path() / "archive"; }
  /// The folder on disk the documents end up in, for either target: archiveRoot(), or the
  /// folder Apache serves as the WebDAV collection (fault tests mount a filesystem over it).
  std::filesystem::path targetFolder() const;

  /// Sets a numeric option of the configuration's `ambita` section (e.g. "readTimeoutSeconds")
  /// and writes the configuration again.
  void setAmbitaOption(const std::string& key, int value);
  /// Sets the top-level `state.url` (may hold ${NAME} references) and writes the configuration
  /// again; "" removes it (the default: SQLite in the data folder).
  void setStateUrl(const std::string& url);
  /// Sets `path` (dotted, e.g. "events" or "ambita.events": the objects on the way are made)
  /// to the JSON value `json` and writes the configuration again.
  void setJson(const std::string& path, const std::string& json);
  /// Sets the top-level `modules` folder (default: the build's modules) and writes the
  /// configuration again.
  void setModules(const std::filesystem::path& folder);
  /// Adds (or replaces) a variable in env(), e.g. the password a ${NAME} in state.url names.
  void setEnv(const std::string& name, const std::string& value);

  /// The environment that carries the configuration's secrets.
  test::ChildProcess::Env env() const;

  /// `dms-host --config FILE args...` in workDir() to completion (SIGKILL after `timeout`).
  test::ChildResult host(const std::vector<std::string>& args,
                         std::chrono::seconds timeout = std::chrono::seconds(90)) const;
  /// `dms-host --config FILE args...` started in workDir() in the background (FILE: `config`,
  /// or configFile() when empty). Throws std::runtime_error when dms-host is not built.
  std::unique_ptr<test::ChildProcess> startHost(const std::vector<std::string>& args,
                                                const std::filesystem::path& config = {}) const;
  /// `dms-host run`, waited for (up to 20 s) until its first stdout line says
  /// "dms-host listening on http://HOST:PORT"; `port` receives PORT. Throws if it does not come
  /// up (with its output in the message).
  std::unique_ptr<test::ChildProcess> startService(unsigned& port,
                                                   const std::filesystem::path& config = {}) const;
  /// Another host sharing this world's state.url and target (several hosts, issue 11): writes
  /// the configuration again as workDir()/NAME.json with `dataDir` as its data folder and, when
  /// given, `listen` as http.listen ("127.0.0.1:PORT", to restart on the same port); returns
  /// the file. Throws std::runtime_error when it cannot be written.
  std::filesystem::path writeHostConfig(const std::string& name,
                                        const std::filesystem::path& dataDir,
                                        const std::string& listen = "") const;

  /// The push callback URL of a host listening on `port` (with ?token= when a secret is set).
  std::string pushUrl(unsigned port) const;
  /// POSTs `body` to 127.0.0.1:port at `pathAndQuery`; returns the HTTP status.
  static int post(unsigned port, const std::string& pathAndQuery, const std::string& body);

  /// Places a Meglerpakke order in Infoland through `dms-host order`; returns its id.
  /// Throws with the host's output when it fails.
  std::int64_t placeOrder(const std::string& reference,
                          const std::string& technicalReference) const;

  /// The secret values configured (client secret, API password, WebDAV password, push token):
  /// none of them may appear in any output.
  std::vector<std::string> secrets() const;
  /// The first secret found in `text`, or "" (tests EXPECT it empty).
  std::string leakedSecret(const std::string& text) const;

 private:
  void writeConfig();

  WorldOptions options_;
  test::TempDir work_{"dms-e2e"};
  std::unique_ptr<test::DavServer> dav_;
  std::unique_ptr<test::SandboxProcess> sandbox_;
  std::unique_ptr<ArchiveView> archive_;
  std::string davUrl_;
  std::map<std::string, int> ambitaOptions_;  ///< set by setAmbitaOption
  std::string stateUrl_;                      ///< set by setStateUrl
  std::filesystem::path modules_;             ///< set by setModules
  test::ChildProcess::Env extraEnv_;          ///< set by setEnv
  std::map<std::string, std::string> json_;   ///< set by setJson: path -> JSON value
};

/// Runs `check` every 100 ms until it returns true or `timeout` passes; returns the last result.
bool eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout);

}  // namespace dms::e2e
