#include "E2eWorld.h"

#include "support/ApacheServer.h"

#include <signal.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "FilesystemArchive.h"
#include "WebDavArchive.h"

namespace dms::e2e {
namespace {

// Distinctive values, so a leak is found by a plain search of the output.
constexpr const char* kClientSecret = "e2e-client-secret-7Hq2xV";
constexpr const char* kApiPassword = "e2e-api-password-Zp91Lk";
constexpr const char* kApiUser = "e2e-user";
constexpr const char* kDavPassword = "e2e-dav-password-Q4mW8r";

}  // namespace

std::string targetName(TargetKind kind) {
  auto server = davServerOf(kind);
  return server ? "WebDav" + test::davServerName(*server) : "Filesystem";
}

std::vector<TargetKind> allTargetKinds() {
  return {TargetKind::Filesystem, TargetKind::WebDavApache, TargetKind::WebDavLighttpd,
          TargetKind::WebDavNginx, TargetKind::WebDavRclone};
}

std::optional<test::DavServerKind> davServerOf(TargetKind kind) {
  switch (kind) {
    case TargetKind::Filesystem:
      return std::nullopt;
    case TargetKind::WebDavApache:
      return test::DavServerKind::Apache;
    case TargetKind::WebDavLighttpd:
      return test::DavServerKind::Lighttpd;
    case TargetKind::WebDavNginx:
      return test::DavServerKind::Nginx;
    case TargetKind::WebDavRclone:
      return test::DavServerKind::Rclone;
  }
  return std::nullopt;
}

E2eWorld::E2eWorld(WorldOptions options) : options_(std::move(options)) {
  auto args = sandboxCredentialArgs();
  args.insert(args.end(), options_.sandboxArgs.begin(), options_.sandboxArgs.end());
  sandbox_ = std::make_unique<test::SandboxProcess>(args);
  if (auto server = davServerOf(options_.target)) {
    dav_ = test::DavServer::start(*server, kDavPassword);
    davUrl_ = dav_->createCollection("archive");
    archive_ = std::make_unique<WebDavArchive>(dav_->davRoot() / "archive", davUrl_, dav_->user(),
                                               dav_->password());
  } else {
    archive_ = std::make_unique<FilesystemArchive>(archiveRoot());
  }
  writeConfig();
}

E2eWorld::~E2eWorld() = default;

test::ApacheServer& E2eWorld::apache() {
  test::ApacheServer* apache = dav_ ? dav_->apache() : nullptr;
  if (!apache) throw std::logic_error("E2eWorld::apache: this world does not file into Apache");
  return *apache;
}

std::filesystem::path E2eWorld::targetFolder() const {
  return dav_ ? dav_->davRoot() / "archive" : archiveRoot();
}

std::vector<std::string> E2eWorld::sandboxCredentialArgs() {
  return {"--client-secret", kClientSecret, "--username", kApiUser, "--password", kApiPassword};
}

void E2eWorld::writeConfig() {
  Poco::JSON::Object::Ptr root = new Poco::JSON::Object(true);
  root->set("dataDir", dataDir().string());
  root->set("modules", modules_.empty() ? std::string(DMS_MODULE_DIR) : modules_.string());
  Poco::JSON::Object::Ptr target = new Poco::JSON::Object(true);
  if (dav_) {
    target->set("connector", "webdav");
    target->set("url", davUrl_);
    if (!dav_->user().empty()) {
      target->set("username", dav_->user());
      target->set("password", "${E2E_DAV_PASSWORD}");
    }
  } else {
    target->set("connector", "filesystem");
    target->set("root", archiveRoot().string());
  }
  root->set("target", target);
  Poco::JSON::Object::Ptr ambita = new Poco::JSON::Object(true);
  ambita->set("baseUrl", sandbox_->baseUrl());
  ambita->set("clientId", test::SandboxProcess::kClientId);
  ambita->set("clientSecret", "${E2E_CLIENT_SECRET}");
  ambita->set("username", kApiUser);
  ambita->set("password", "${E2E_API_PASSWORD}");
  if (options_.maxConnectionsPerOrigin > 0)
    ambita->set("maxConnectionsPerOrigin", options_.maxConnectionsPerOrigin);
  for (const auto& [key, value] : ambitaOptions_) ambita->set(key, value);
  Poco::JSON::Object::Ptr filing = new Poco::JSON::Object(true);
  filing->set("concurrency", options_.concurrency);
  ambita->set("filing", filing);
  if (!options_.pushSecret.empty()) {
    Poco::JSON::Object::Ptr push = new Poco::JSON::Object(true);
    push->set("secret", "${E2E_PUSH_SECRET}");
    ambita->set("push", push);
  }
  root->set("ambita", ambita);
  Poco::JSON::Object::Ptr http = new Poco::JSON::Object(true);
  http->set("listen", "127.0.0.1:0");
  root->set("http", http);
  if (!stateUrl_.empty()) {
    Poco::JSON::Object::Ptr state = new Poco::JSON::Object(true);
    state->set("url", stateUrl_);
    root->set("state", state);
  }
  for (const auto& [path, json] : json_) {
    Poco::JSON::Object::Ptr at = root;
    std::string rest = path;
    for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
      const std::string key = rest.substr(0, dot);
      if (!at->has(key)) at->set(key, Poco::JSON::Object::Ptr(new Poco::JSON::Object(true)));
      at = at->getObject(key);
      rest = rest.substr(dot + 1);
    }
    at->set(rest, Poco::JSON::Parser().parse(json));
  }
  std::ofstream out(configFile());
  root->stringify(out, 2);
  if (!out) throw std::runtime_error("cannot write " + configFile().string());
}

void E2eWorld::setAmbitaOption(const std::string& key, int value) {
  ambitaOptions_[key] = value;
  writeConfig();
}

void E2eWorld::setStateUrl(const std::string& url) {
  stateUrl_ = url;
  writeConfig();
}

void E2eWorld::setJson(const std::string& path, const std::string& json) {
  json_[path] = json;
  writeConfig();
}

void E2eWorld::setModules(const std::filesystem::path& folder) {
  modules_ = folder;
  writeConfig();
}

void E2eWorld::setEnv(const std::string& name, const std::string& value) {
  extraEnv_[name] = value;
}

test::ChildProcess::Env E2eWorld::env() const {
  test::ChildProcess::Env env = {{"E2E_CLIENT_SECRET", kClientSecret},
                                 {"E2E_API_PASSWORD", kApiPassword},
                                 {"E2E_DAV_PASSWORD", kDavPassword}};
  if (!options_.pushSecret.empty()) env["E2E_PUSH_SECRET"] = options_.pushSecret;
  for (const auto& [name, value] : extraEnv_) env[name] = value;
  return env;
}

test::ChildResult E2eWorld::host(const std::vector<std::string>& args,
                                 std::chrono::seconds timeout) const {
  return startHost(args)->wait(timeout);
}

std::unique_ptr<test::ChildProcess> E2eWorld::startHost(const std::vector<std::string>& args,
                                                        const std::filesystem::path& config) const {
  const std::string binary = DMS_BUILD_DIR "/samples/dms-host";
  if (!std::filesystem::is_regular_file(binary))
    throw std::runtime_error("dms-host not built: " + binary + " is missing");
  std::vector<std::string> argv = {binary, "--config",
                                   (config.empty() ? configFile() : config).string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<test::ChildProcess>(argv, env(), workDir());
}

std::unique_ptr<test::ChildProcess> E2eWorld::startService(
    unsigned& port, const std::filesystem::path& config) const {
  auto child = startHost({"run"}, config);
  port = 0;
  const bool firstLine = child->waitForOutput(
      [](const std::string& out) { return out.find('\n') != std::string::npos; },
      std::chrono::seconds(20));
  const std::string marker = "dms-host listening on http://";
  const std::string out = child->out();
  if (firstLine && out.rfind(marker, 0) == 0) {
    const std::string line = out.substr(0, out.find('\n'));
    port = static_cast<unsigned>(std::stoul(line.substr(line.rfind(':') + 1)));
  }
  if (port == 0) {
    auto outcome = child->stop(SIGKILL);
    throw std::runtime_error("dms-host run did not start (exit " +
                             std::to_string(outcome.exitCode) + "): " + outcome.out + outcome.err);
  }
  return child;
}

std::filesystem::path E2eWorld::writeHostConfig(const std::string& name,
                                                const std::filesystem::path& dataDir,
                                                const std::string& listen) const {
  std::ifstream in(configFile());
  auto config = Poco::JSON::Parser().parse(in).extract<Poco::JSON::Object::Ptr>();
  config->set("dataDir", dataDir.string());
  if (!listen.empty()) config->getObject("http")->set("listen", listen);
  const auto file = workDir() / (name + ".json");
  std::ofstream out(file);
  config->stringify(out, 2);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return file;
}

std::string E2eWorld::pushUrl(unsigned port) const {
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/ambita/push";
  if (!options_.pushSecret.empty()) url += "?token=" + options_.pushSecret;
  return url;
}

int E2eWorld::post(unsigned port, const std::string& pathAndQuery, const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, pathAndQuery,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::string ignored;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), ignored);
  return static_cast<int>(response.getStatus());
}

std::int64_t E2eWorld::placeOrder(const std::string& reference,
                                  const std::string& technicalReference) const {
  auto outcome = host({"order", "--kind", "cadastre", "--cadastre", "9999-1-1-0-0", "--address",
                       "Infoveien 1, 9999 Infoland", "--product", "WI99990033", "--reference",
                       reference, "--technical-reference", technicalReference});
  const std::string marker = "order created: ";
  const auto at = outcome.out.find(marker);
  if (outcome.exitCode != 0 || at == std::string::npos)
    throw std::runtime_error("dms-host order failed (exit " + std::to_string(outcome.exitCode) +
                             "): " + outcome.out + outcome.err);
  return std::stoll(outcome.out.substr(at + marker.size()));
}

std::vector<std::string> E2eWorld::secrets() const {
  std::vector<std::string> values = {kClientSecret, kApiPassword, kDavPassword};
  if (!options_.pushSecret.empty()) values.push_back(options_.pushSecret);
  return values;
}

std::string E2eWorld::leakedSecret(const std::string& text) const {
  for (const auto& secret : secrets())
    if (text.find(secret) != std::string::npos) return secret;
  return "";
}

bool eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (check()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace dms::e2e
