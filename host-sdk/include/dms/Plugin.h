#pragma once
/// The plugin interface: what a host can ask of a plugin (identity, configuration schema,
/// start/stop, HTTP routes for callbacks, named commands for its users).

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "dms/ConfigSchema.h"
#include "dms/DocumentTarget.h"
#include "dms/Error.h"
#include "dms/Events.h"
#include "dms/Logger.h"

namespace dms {

/// The services a host hands a plugin. Everything here outlives the plugin object.
struct HostServices {
  Logger* logger = nullptr;  ///< never null
  /// A folder private to this plugin (state database, spool); exists.
  std::string dataDir;
  /// The plugin's configuration section (e.g. "ambita") as JSON text, ${ENV} expanded.
  std::string configJson;
  /// Where documents go. Shared: the plugin may use it from several threads.
  std::shared_ptr<DocumentTarget> target;
  /// e.g. "dms-host 0.1.0", for User-Agent headers and the audit log.
  std::string hostName;
  /// Where the plugin keeps its state, from the host's configuration (dms-host: the top-level
  /// key `state.url`, ${ENV} expanded), e.g. postgresql://user:password@host:5432/db; empty:
  /// the plugin's own default (the Ambita plugin: SQLite in dataDir). It may carry a password:
  /// never log or echo it (dms-host registers the password with its logger's masking).
  /// Appended within interface 1.1 (see host-sdk/README.md, Versioning): a plugin built before
  /// it never reads it; members are only ever appended after it.
  std::string stateUrl;
  /// Where document events go (dms/Events.h); null: the host takes none, and the plugin keeps
  /// them in its outbox (bounded by its retention, see the plugin's README) until a host with
  /// a sink runs. Outlives the plugin. Appended within interface 1.1 after stateUrl.
  EventSink* eventSink = nullptr;
};

/// An HTTP request the host received on one of the plugin's routes. The host has already
/// read the body (refusing more than Route::maxBodyBytes with 413).
struct HttpRequest {
  std::string method;
  std::string path;   ///< without the query
  std::string query;  ///< raw, without '?'; may carry a shared secret: never log it
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string remoteAddress;
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
};

/// A route the host serves on its HTTP listener (http.listen) and forwards to the plugin.
struct Route {
  std::string method;  ///< "POST"
  std::string path;    ///< exact path, e.g. "/ambita/push"
  std::size_t maxBodyBytes = 64 * 1024;
  /// Called from the host's server threads, concurrently. Must answer fast and must not throw.
  std::function<HttpResponse(const HttpRequest&)> handler;
  /// Set when anyone who can reach the listener may call the route (e.g. no shared secret is
  /// configured): what is open and which option closes it, naming the option's key path.
  /// `config check` and `run` print it as a warning; empty when the route is protected.
  std::string openWarning;
};

/// A command the plugin offers the host's users, e.g. "products" or "sync".
struct CommandSpec {
  std::string name;
  std::string usage;    ///< e.g. "products --municipality NNNN [--json]"
  std::string summary;  ///< one line
};

/// Where a command writes and whether a person is watching.
struct CommandIO {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool terminal = false;  ///< stdout is a terminal: progress display is welcome
};

struct PluginInfo {
  std::string name;     ///< "ambita"
  std::string version;  ///< "0.1.0"
  std::string summary;
  /// The host configuration section the plugin reads, e.g. "ambita".
  std::string configSection;
};

/// Lifecycle: a factory makes the plugin from HostServices (configuration validated, nothing
/// started); then any number of runCommand() calls, and/or startService() ... stop().
/// stop() returns only when every thread the plugin started has ended.
class Plugin {
 public:
  virtual ~Plugin() = default;

  virtual PluginInfo info() const = 0;

  /// Starts background work (push inbox workers, polling). Routes are served by the host
  /// only between startService() and stop().
  virtual Status startService() = 0;

  /// Stops background work, finishing or safely abandoning what is in flight; idempotent. A
  /// host may call it while runCommand() runs on another thread (dms-host's admin console at
  /// SIGTERM): such a command should then end promptly too, cancelled, before stop() returns.
  virtual void stop() noexcept = 0;

  /// The routes the host should serve while the service runs.
  virtual std::vector<Route> routes() = 0;

  /// The commands offered to the host's users.
  virtual std::vector<CommandSpec> commands() const = 0;

  /// Runs one command to completion. Returns a process-style exit code: 0 success,
  /// 1 the work failed (details on io.err), 2 bad usage.
  virtual int runCommand(const std::string& name, const std::vector<std::string>& args,
                         const CommandIO& io) noexcept = 0;

  /// The plugin's metrics in the Prometheus text exposition format (version 0.0.4): whole
  /// families (# HELP, # TYPE, then their samples), each line ending in '\n', names prefixed
  /// with the plugin's name (e.g. ambita_files_filed_total); empty when it has none. The host
  /// serves it after its own families (dms-host: GET /metrics). Called from the host's server
  /// threads, concurrently, any time between creation and destruction; must answer fast.
  /// Appended within interface 1.1 (host-sdk/README.md, Versioning): a plugin built for 1.0
  /// has no such slot, so the loader hands it out behind a shield whose metricsText() is this
  /// default.
  virtual std::string metricsText() noexcept { return {}; }
};

class PluginFactory {
 public:
  virtual ~PluginFactory() = default;
  virtual PluginInfo info() const = 0;
  /// The options of the plugin's section (PluginInfo::configSection).
  virtual ConfigSchema configSchema() const = 0;
  /// Validates the configuration and makes the plugin, starting no threads.
  virtual Result<std::unique_ptr<Plugin>> create(const HostServices& services) const = 0;
};

}  // namespace dms
