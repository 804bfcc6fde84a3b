#pragma once
/// Everything dms-host does between reading the configuration file and having a plugin to
/// talk to: ${ENV} expansion, module choice and loading (plugin and connector by name from
/// the modules folder), validation of every section against the schemas the modules declare,
/// secrets handed to the logger, then (on request) the data folders, the target and the plugin.
/// The host never calls the target's recover(): another dms-host process may have a put in
/// flight on the same storage; the plugin recovers under its own exclusive data-folder lock.
///
/// Configuration (top level): dataDir (required), modules (default <dir of dms-host>/../modules),
/// plugin (default: the only dms-plugin-*.so in the modules folder), target {connector, ...the
/// connector's keys}, <plugin section> (PluginInfo::configSection, e.g. "ambita"),
/// http {listen: "host:port", default 127.0.0.1:8080; requestTimeoutSeconds;
/// maxConnectionsPerAddress}, state {url: where the plugin keeps its state, handed over as
/// HostServices::stateUrl; its password is masked}, events {webhook {url, secret, timeoutSeconds,
/// caFile}, file: where the plugin's document events are forwarded (EventForwarder.h)},
/// admin {listen, users, token, sessionMinutes: the admin console, admin/AdminSettings.h}.
/// Relative paths are relative to the current
/// directory.

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "ConfigIssue.h"
#include "ConnectionGuard.h"
#include "EventForwarder.h"
#include "SchemaValidator.h"
#include "StderrLogger.h"
#include "admin/AdminSettings.h"
#include "dms/ModuleLoader.h"

namespace dms::host {

class HostSetup {
 public:
  /// `logger` outlives this object; `hostName` is handed to the plugin ("dms-host 0.1.0").
  HostSetup(StderrLogger& logger, std::filesystem::path defaultModulesDir, std::string hostName);
  ~HostSetup();
  HostSetup(const HostSetup&) = delete;
  HostSetup& operator=(const HostSetup&) = delete;

  /// The host's own top-level keys, plus `pluginSection` (an object) when not empty.
  static ConfigSchema hostSchema(const std::string& pluginSection, const std::string& pluginName);

  /// Reads, expands and validates. Returns an error only when the file cannot be used at all
  /// (missing, malformed JSON); everything else becomes issues().
  Status load(const std::filesystem::path& configFile);

  /// Problems found by load(), errors and warnings, each naming its key path.
  const ConfigIssues& issues() const { return issues_; }
  /// No error (warnings allowed).
  bool valid() const;

  /// The effective configuration (defaults applied, paths resolved), secrets as ********.
  Poco::JSON::Object::Ptr adminView() const;

  /// The modules folder: from the configuration when loaded, else the default.
  const std::filesystem::path& modulesDir() const { return modulesDir_; }

  /// Creates the data folders, the target (recover() not called: see above) and the plugin.
  /// Precondition: valid(). Errors name the step.
  Status createObjects();

  Plugin* plugin() const { return plugin_.get(); }
  /// Cuts the event webhook's POST in flight and refuses later ones (EventForwarder::stop): call
  /// before the plugin's stop(), which waits for the delivery in flight.
  void stopEventForwarding() noexcept {
    if (eventForwarder_) eventForwarder_->stop();
  }
  const std::shared_ptr<DocumentTarget>& target() const { return target_; }
  const std::string& listenHost() const { return listenHost_; }
  std::uint16_t listenPort() const { return listenPort_; }
  const ListenerLimits& listenerLimits() const { return listenerLimits_; }

 private:
  void choosePlugin(const Poco::JSON::Object::Ptr& root);
  /// Hands the section's secret values to the logger and remembers their paths.
  void registerSecrets(ValidatedSection& checked);
  void checkHttp(const Poco::JSON::Object::Ptr& httpSection);
  /// Remembers state.url for the plugin and hands its password to the logger (see StateUrl.h).
  void checkStateUrl(const std::set<std::string>& expandedPaths);
  /// Reads events.* into events_ (the webhook needs a secret and an http(s) URL).
  void checkEvents(const Poco::JSON::Object::Ptr& eventsSection);

  StderrLogger& logger_;
  std::filesystem::path defaultModulesDir_;
  std::string hostName_;
  ModuleLoader loader_;

  std::filesystem::path modulesDir_;
  std::filesystem::path dataDir_;
  std::string pluginName_;
  std::string section_;
  ConfigIssues issues_;
  PluginModule pluginModule_;
  ConnectorModule connectorModule_;

  Poco::JSON::Object::Ptr effectiveRoot_;
  Poco::JSON::Object::Ptr targetConfig_;
  Poco::JSON::Object::Ptr pluginConfig_;
  std::vector<std::string> secretPaths_;
  std::string stateUrl_;  ///< state.url as configured (password included): for the plugin only
  std::string listenHost_ = "127.0.0.1";
  std::uint16_t listenPort_ = 8080;
  ListenerLimits listenerLimits_;

  EventForwarding events_;  ///< events.*: where document events go
  /// The plugin's event sink (HostServices::eventSink); declared before the plugin, so it is
  /// destroyed after it.
  std::unique_ptr<EventForwarder> eventForwarder_;

  // Destroyed in reverse order: the plugin before the target it uses.
  std::shared_ptr<DocumentTarget> target_;
  ModulePtr<Plugin> plugin_;

  // Admin console (admin/): the `admin` section and what the console shows about the modules.
 public:
  /// The admin console's settings; nullopt when the section is absent (or has errors).
  const std::optional<admin::AdminSettings>& adminSettings() const { return adminSettings_; }
  /// The descriptors of the loaded plugin and connector.
  std::vector<ModuleDescriptor> loadedModules() const;

 private:
  void checkAdmin(const Poco::JSON::Object::Ptr& root);
  std::optional<admin::AdminSettings> adminSettings_;
};

}  // namespace dms::host
