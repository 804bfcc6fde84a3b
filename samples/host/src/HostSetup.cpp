#include "HostSetup.h"

#include <Poco/URI.h>

#include <algorithm>

#include "EnvExpander.h"
#include "JsonConfigFile.h"
#include "ListenAddress.h"
#include "RouteServer.h"
#include "StateUrl.h"
#include "admin/AdminSettings.h"

namespace dms::host {

namespace {

constexpr const char* kSource = "host";

/// The listener adds workers for a higher cap (RouteServer::workerThreadsFor).
constexpr std::size_t kMaxConnectionsPerAddress = RouteServer::kMaxConnectionsPerAddress;

bool isObject(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Object::Ptr);
}

Poco::JSON::Object::Ptr objectAt(const Poco::JSON::Object::Ptr& root, const std::string& key) {
  if (!root || !root->has(key) || !isObject(root->get(key))) return nullptr;
  return root->get(key).extract<Poco::JSON::Object::Ptr>();
}

std::optional<std::string> stringAt(const Poco::JSON::Object::Ptr& root, const std::string& key) {
  if (!root || !root->has(key) || !root->get(key).isString()) return std::nullopt;
  return root->get(key).extract<std::string>();
}

void append(ConfigIssues& to, const ConfigIssues& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

ConfigSchema HostSetup::hostSchema(const std::string& pluginSection,
                                   const std::string& pluginName) {
  ConfigSchema schema{{
      {"dataDir", OptionType::String, "", true, false,
       "folder for state; the plugin gets <dataDir>/<plugin>, the connector <dataDir>/target"},
      {"modules", OptionType::String, "", false, false, "folder of the *.so modules"},
      {"plugin", OptionType::String, "", false, false, "name of the plugin module to run"},
      {"state.url", OptionType::String, "", false, false,
       "where the plugin keeps its state, e.g. postgresql://user:${PASSWORD}@host:5432/database "
       "(the password is masked); absent: the plugin's default (SQLite in its data folder)"},
      {"target", OptionType::Object, "", true, false, "the document target: {\"connector\": ...}"},
      {"http.listen", OptionType::String, "\"127.0.0.1:8080\"", false, false,
       "host:port of the HTTP listener (port 0: any free port)"},
      {"http.requestTimeoutSeconds", OptionType::Number, "10", false, false,
       "a whole request (headers and body) must arrive, and its answer be taken, within this, "
       "0.1-600"},
      {"http.maxConnectionsPerAddress", OptionType::Integer, "8", false, false,
       "connections one client address may have open at once (served or waiting for a worker), "
       "1-" +
           std::to_string(kMaxConnectionsPerAddress) + "; more are answered 503"},
      // document events (issue 10): where dms-host forwards what the plugin reports
      {"events.webhook.url", OptionType::String, "", false, false,
       "http(s) URL every document event is POSTed to as JSON; absent: no webhook"},
      {"events.webhook.secret", OptionType::String, "", false, true,
       "key of the X-Dms-Signature header (sha256=<hex HMAC-SHA256 of the body>); required "
       "with events.webhook.url"},
      {"events.webhook.timeoutSeconds", OptionType::Number, "10", false, false,
       "one POST must be answered within this, 0.1-600; otherwise it is retried with backoff"},
      {"events.webhook.caFile", OptionType::String, "", false, false,
       "PEM file of the CA that signed an https webhook's certificate; absent: the system's"},
      {"events.file", OptionType::String, "", false, false,
       "file every document event is appended to as one JSON line; absent: no file"},
  }};
  // The admin console (admin/AdminSettings.h).
  for (auto& option : admin::adminOptions()) schema.options.push_back(std::move(option));
  if (!pluginSection.empty())
    schema.options.push_back({pluginSection, OptionType::Object, "{}", false, false,
                              "the configuration of plugin '" + pluginName + "'"});
  return schema;
}

HostSetup::HostSetup(StderrLogger& logger, std::filesystem::path defaultModulesDir,
                     std::string hostName)
    : logger_(logger),
      defaultModulesDir_(std::move(defaultModulesDir)),
      hostName_(std::move(hostName)),
      modulesDir_(defaultModulesDir_) {}

HostSetup::~HostSetup() = default;

bool HostSetup::valid() const {
  return std::none_of(issues_.begin(), issues_.end(), [](const auto& i) { return !i.warning; });
}

Status HostSetup::load(const std::filesystem::path& configFile) {
  auto loaded = JsonConfigFile::load(configFile);
  if (!loaded) return loaded.error();
  Poco::JSON::Object::Ptr root = loaded.value();

  EnvExpander expander;
  append(issues_, expander.expand(root));

  if (auto modules = stringAt(root, "modules"))
    modulesDir_ = std::filesystem::absolute(*modules).lexically_normal();
  choosePlugin(root);

  // The top level: the host's own keys, the target and the plugin's section as opaque objects
  // (validated below against the modules' schemas).
  const ConfigSchema hostSchema = HostSetup::hostSchema(section_, pluginName_);
  ValidatedSection top = SchemaValidator::validate(root, hostSchema, "", expander.expandedPaths());
  for (auto& issue : top.issues) {
    // Without a plugin its section is unknown, so "unknown key" would be a guess.
    if (section_.empty() && issue.message.starts_with("unknown key")) continue;
    issues_.push_back(std::move(issue));
  }
  registerSecrets(top);
  effectiveRoot_ = top.effective;
  registerSecrets(top);  // admin.token
  effectiveRoot_->set("modules", modulesDir_.string());
  if (!pluginName_.empty()) effectiveRoot_->set("plugin", pluginName_);
  if (auto dataDir = stringAt(root, "dataDir")) {
    dataDir_ = std::filesystem::absolute(*dataDir).lexically_normal();
    effectiveRoot_->set("dataDir", dataDir_.string());
  }

  // The target section, against the connector's schema.
  if (auto target = objectAt(root, "target")) {
    auto connector = stringAt(target, "connector");
    if (!target->has("connector")) {
      issues_.push_back({"target.connector",
                         "required option is missing: expected a string (the connector's name, "
                         "e.g. \"filesystem\")"});
    } else if (!connector || connector->empty()) {
      issues_.push_back({"target.connector", "expected the name of a connector"});
    } else {
      const auto file = ModuleLoader::connectorFile(modulesDir_, *connector);
      connectorModule_ = loader_.loadConnector(file);
      if (!connectorModule_.ok()) {
        issues_.push_back({"target.connector", "connector '" + *connector + "' cannot be used: " +
                                                   connectorModule_.report().message});
      } else {
        logger_.debug(kSource, connectorModule_.report().message);
        ConfigSchema schema = connectorModule_.factory()->configSchema();
        schema.options.insert(schema.options.begin(),
                              {"connector", OptionType::String, "", true, false, "connector name"});
        ValidatedSection checked =
            SchemaValidator::validate(target, schema, "target", expander.expandedPaths());
        append(issues_, checked.issues);
        registerSecrets(checked);
        targetConfig_ = checked.effective;
        effectiveRoot_->set("target", targetConfig_);
      }
    }
  }

  // The plugin's section, against the plugin's schema.
  if (pluginModule_.ok()) {
    ValidatedSection checked =
        SchemaValidator::validate(objectAt(root, section_), pluginModule_.factory()->configSchema(),
                                  section_, expander.expandedPaths());
    append(issues_, checked.issues);
    registerSecrets(checked);
    pluginConfig_ = checked.effective;
    effectiveRoot_->set(section_, pluginConfig_);
  }

  checkHttp(objectAt(effectiveRoot_, "http"));
  checkStateUrl(expander.expandedPaths());
  checkEvents(objectAt(effectiveRoot_, "events"));
  checkAdmin(root);
  return {};
}

void HostSetup::checkEvents(const Poco::JSON::Object::Ptr& eventsSection) {
  if (!eventsSection) return;  // absent, or a wrong type the schema reported
  if (auto file = stringAt(eventsSection, "file"); file && !file->empty())
    events_.file = std::filesystem::absolute(*file).lexically_normal();
  auto webhook = objectAt(eventsSection, "webhook");
  auto url = stringAt(webhook, "url");
  if (!url) return;
  const Poco::URI uri(*url);
  if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
    issues_.push_back({"events.webhook.url", "expected an http:// or https:// URL with a host"});
    return;
  }
  auto secret = stringAt(webhook, "secret");
  if (!secret || secret->empty()) {
    issues_.push_back({"events.webhook.secret",
                       "required with events.webhook.url: receivers check the signature"});
    return;
  }
  if (webhook->has("timeoutSeconds") && webhook->get("timeoutSeconds").isNumeric()) {
    const double seconds = webhook->get("timeoutSeconds").convert<double>();
    if (seconds < 0.1 || seconds > 600) {
      issues_.push_back({"events.webhook.timeoutSeconds",
                         "expected 0.1 to 600 seconds, got " + std::to_string(seconds)});
      return;
    }
    events_.webhookTimeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  events_.webhookUrl = *url;
  events_.webhookSecret = *secret;
  events_.webhookCaFile = stringAt(webhook, "caFile").value_or("");
}

void HostSetup::checkStateUrl(const std::set<std::string>& expandedPaths) {
  auto url = stringAt(objectAt(effectiveRoot_, "state"), "url");
  if (!url) return;  // absent, or a wrong type the schema reported
  stateUrl_ = *url;
  const auto passwords = StateUrl::passwordSpellings(stateUrl_);
  for (const auto& password : passwords) logger_.addSecret(password);
  if (passwords.empty()) return;
  if (passwords.front().size() < StderrLogger::kMinMaskedLength)
    issues_.push_back({"state.url",
                       "password shorter than " + std::to_string(StderrLogger::kMinMaskedLength) +
                           " characters: too short to be masked in logs",
                       true});
  if (!expandedPaths.count("state.url"))
    issues_.push_back({"state.url",
                       "password written in the file itself; prefer a ${ENV_NAME} reference "
                       "(postgresql://user:${PASSWORD}@host:port/database)",
                       true});
}

void HostSetup::registerSecrets(ValidatedSection& checked) {
  for (std::size_t i = 0; i < checked.secretValues.size(); ++i) {
    logger_.addSecret(checked.secretValues[i]);
    const std::size_t length = checked.secretValues[i].size();
    if (length > 0 && length < StderrLogger::kMinMaskedLength)
      issues_.push_back({i < checked.secretPaths.size() ? checked.secretPaths[i] : "",
                         "secret shorter than " + std::to_string(StderrLogger::kMinMaskedLength) +
                             " characters: too short to be masked in logs",
                         true});
  }
  secretPaths_.insert(secretPaths_.end(), checked.secretPaths.begin(), checked.secretPaths.end());
}

void HostSetup::choosePlugin(const Poco::JSON::Object::Ptr& root) {
  if (auto name = stringAt(root, "plugin")) {
    pluginName_ = *name;
  } else {
    std::error_code error;
    std::vector<std::string> found;
    if (std::filesystem::is_directory(modulesDir_, error)) {
      for (std::filesystem::directory_iterator it(modulesDir_, error), end; !error && it != end;
           it.increment(error)) {
        const std::string file = it->path().filename().string();
        if (file.starts_with(ModuleLoader::kPluginPrefix) && file.ends_with(ModuleLoader::kSuffix))
          found.push_back(file.substr(
              ModuleLoader::kPluginPrefix.size(),
              file.size() - ModuleLoader::kPluginPrefix.size() - ModuleLoader::kSuffix.size()));
      }
    } else {
      issues_.push_back(
          {"modules", "modules folder '" + modulesDir_.string() + "' does not exist"});
      return;
    }
    std::sort(found.begin(), found.end());
    if (found.empty()) {
      issues_.push_back(
          {"plugin", "no plugin module (dms-plugin-*.so) in '" + modulesDir_.string() + "'"});
      return;
    }
    if (found.size() > 1) {
      std::string names;
      for (const auto& n : found) names += (names.empty() ? "" : ", ") + n;
      issues_.push_back({"plugin", "several plugin modules in '" + modulesDir_.string() + "' (" +
                                       names + "): choose one with the key \"plugin\""});
      return;
    }
    pluginName_ = found.front();
  }
  pluginModule_ = loader_.loadPlugin(ModuleLoader::pluginFile(modulesDir_, pluginName_));
  if (!pluginModule_.ok()) {
    issues_.push_back({"plugin", "plugin '" + pluginName_ +
                                     "' cannot be used: " + pluginModule_.report().message});
    return;
  }
  logger_.debug(kSource, pluginModule_.report().message);
  section_ = pluginModule_.factory()->info().configSection;
  if (section_.empty() || section_ == "dataDir" || section_ == "modules" || section_ == "plugin" ||
      section_ == "target" || section_ == "http" || section_ == "state" || section_ == "events" ||
      section_ == "admin") {
    issues_.push_back({"plugin", "plugin '" + pluginName_ +
                                     "' declares the configuration section '" + section_ +
                                     "', which the host cannot give it"});
    section_.clear();
    pluginModule_ = PluginModule();
  }
}

void HostSetup::checkHttp(const Poco::JSON::Object::Ptr& httpSection) {
  if (!httpSection) return;  // a wrong type was reported by the schema
  // Wrong types were reported by the schema; only ranges are left.
  if (httpSection->has("requestTimeoutSeconds") &&
      httpSection->get("requestTimeoutSeconds").isNumeric()) {
    const double seconds = httpSection->get("requestTimeoutSeconds").convert<double>();
    if (seconds < 0.1 || seconds > 600)
      issues_.push_back({"http.requestTimeoutSeconds",
                         "expected 0.1 to 600 seconds, got " + std::to_string(seconds)});
    else
      listenerLimits_.requestDeadline =
          std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  if (httpSection->has("maxConnectionsPerAddress") &&
      httpSection->get("maxConnectionsPerAddress").isInteger()) {
    const long count = httpSection->get("maxConnectionsPerAddress").convert<long>();
    if (count < 1 || count > static_cast<long>(kMaxConnectionsPerAddress))
      issues_.push_back({"http.maxConnectionsPerAddress",
                         "expected 1 to " + std::to_string(kMaxConnectionsPerAddress) + ", got " +
                             std::to_string(count)});
    else
      listenerLimits_.maxConnectionsPerAddress = static_cast<std::size_t>(count);
  }
  auto listen = stringAt(httpSection, "listen");
  if (!listen) return;
  auto address = ListenAddress::parse(*listen);
  if (!address) {
    issues_.push_back(
        {"http.listen", "expected \"host:port\" with a port 0-65535, got \"" + *listen + "\""});
    return;
  }
  listenHost_ = address->host;
  listenPort_ = address->port;
}

Poco::JSON::Object::Ptr HostSetup::adminView() const {
  if (!effectiveRoot_) return Poco::JSON::Object::Ptr(new Poco::JSON::Object(true));
  auto view = SchemaValidator::masked(effectiveRoot_, secretPaths_, "");
  // masked() copied the tree: this changes the view only.
  if (auto state = objectAt(view, "state"); state && !stateUrl_.empty())
    state->set("url", StateUrl::masked(stateUrl_));
  // Password hashes are not secrets written as ${ENV}, but nobody needs to see them.
  if (auto users = objectAt(objectAt(view, "admin"), "users"))
    for (const auto& name : users->getNames()) users->set(name, "********");
  return view;
}

// Admin console

void HostSetup::checkAdmin(const Poco::JSON::Object::Ptr& root) {
  // Off when absent: the defaults the schema filled in must not suggest otherwise.
  if (!objectAt(root, "admin")) {
    effectiveRoot_->remove("admin");
    return;
  }
  adminSettings_ = admin::readAdminSettings(objectAt(effectiveRoot_, "admin"), issues_);
}

std::vector<ModuleDescriptor> HostSetup::loadedModules() const {
  std::vector<ModuleDescriptor> modules;
  if (pluginModule_.ok() && pluginModule_.report().descriptor)
    modules.push_back(*pluginModule_.report().descriptor);
  if (connectorModule_.ok() && connectorModule_.report().descriptor)
    modules.push_back(*connectorModule_.report().descriptor);
  return modules;
}

Status HostSetup::createObjects() {
  if (!valid() || !pluginModule_.ok() || !connectorModule_.ok())
    return fail(ErrorCode::InvalidArgument, "the configuration is not valid");
  const auto pluginDir = dataDir_ / pluginName_;
  const auto targetDir = dataDir_ / "target";
  for (const auto& dir : {dataDir_, pluginDir, targetDir}) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error)
      return fail(ErrorCode::PermissionDenied,
                  "dataDir: cannot create '" + dir.string() + "': " + error.message());
  }

  ConnectorContext context{JsonConfigFile::toJson(targetConfig_), targetDir.string(), &logger_};
  auto target = connectorModule_.create(context);
  if (!target) {
    auto error = target.error();
    if (!error.message.starts_with("target")) error.message = "target: " + error.message;
    return error;
  }
  target_ = std::move(target.value());
  logger_.debug(kSource, "target " + target_->describe());

  HostServices services;
  services.logger = &logger_;
  services.dataDir = pluginDir.string();
  services.configJson = JsonConfigFile::toJson(pluginConfig_);
  services.target = target_;
  services.hostName = hostName_;
  services.stateUrl = stateUrl_;
  if (events_.any()) {
    eventForwarder_ = std::make_unique<EventForwarder>(events_, logger_);
    services.eventSink = eventForwarder_.get();
  }
  auto plugin = pluginModule_.create(services);
  if (!plugin) {
    auto error = plugin.error();
    // An error about state.url (a host key the plugin reads) already names its key.
    if (!error.message.starts_with(section_) && !error.message.starts_with("state.url"))
      error.message = section_ + ": " + error.message;
    return error;
  }
  plugin_ = std::move(plugin.value());
  return {};
}

}  // namespace dms::host
