#include "HealthRoutes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <map>
#include <sstream>
#include <string>

namespace dms::host {

namespace {

/// Read-only commands that answer "state" and "token" for the plugins this host ships with,
/// until the SDK lets a plugin report its readiness itself. Municipality 0301 (Oslo) exists
/// in every Ambita API (and the sandbox answers any 4 digits).
struct PluginProbes {
  std::vector<std::string> state;
  std::vector<std::string> token;
};
const std::map<std::string, PluginProbes>& knownPluginProbes() {
  static const std::map<std::string, PluginProbes> probes{
      {"ambita", {{"audit", "--limit", "1"}, {"products", "--municipality", "0301", "--json"}}},
  };
  return probes;
}

std::string commandLine(const std::vector<std::string>& command) {
  std::string line;
  for (const auto& word : command) line += (line.empty() ? "" : " ") + word;
  return line;
}

/// Runs a plugin command, its output discarded: OK when it exits 0, else its error output.
Status runProbeCommand(Plugin& plugin, const std::vector<std::string>& command) {
  std::ostringstream out;
  std::ostringstream err;
  const std::vector<std::string> args(command.begin() + 1, command.end());
  const int code = plugin.runCommand(command.front(), args, CommandIO{&out, &err, false});
  if (code == 0) return {};
  std::string why = err.str();
  while (!why.empty() && why.back() == '\n') why.pop_back();
  for (auto& c : why)
    if (c == '\n') c = ' ';
  return fail(ErrorCode::Unavailable,
              "'" + commandLine(command) + "' exited with " + std::to_string(code) + ": " + why);
}

Status checkTarget(DocumentTarget& target) {
  const std::string where = target.describe();
  auto root = target.stat("");
  if (!root) return fail(root.error().code, where + ": the root: " + root.error().message);
  if (root->type != EntryType::Folder)
    return fail(ErrorCode::Conflict, where + ": the root is not a folder");
  // Reachable is not enough: a read-only or full target files nothing.
  std::istringstream content("written and removed by dms-host's readiness check (/readyz)\n");
  auto put = target.put(kTargetProbeFile, content, {}, PutMode::Replace);
  if (!put)
    return fail(put.error().code,
                where + ": cannot write " + kTargetProbeFile + ": " + put.error().message);
  if (auto removed = target.remove(kTargetProbeFile, false);
      !removed && removed.error().code != ErrorCode::NotFound)
    return fail(removed.error().code,
                where + ": cannot remove " + kTargetProbeFile + ": " + removed.error().message);
  return {};
}

HttpResponse jsonResponse(int status, const Poco::JSON::Object::Ptr& body) {
  std::ostringstream text;
  Poco::JSON::Stringifier::stringify(body, text);
  return {status, "application/json", text.str()};
}

HttpResponse readinessResponse(const ReadinessReport& report, const StderrLogger& logger) {
  Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  Poco::JSON::Array::Ptr failed = new Poco::JSON::Array;
  Poco::JSON::Array::Ptr checks = new Poco::JSON::Array;
  for (const auto& outcome : report.checks) {
    Poco::JSON::Object::Ptr check = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    check->set("name", outcome.name);
    check->set("ok", outcome.passed);
    if (!outcome.passed) {
      check->set("error", logger.mask(outcome.error));
      failed->add(outcome.name);
    }
    checks->add(check);
  }
  body->set("ready", report.ready);
  if (!report.ready) body->set("failed", failed);
  body->set("checks", checks);
  return jsonResponse(report.ready ? 200 : 503, body);
}

}  // namespace

std::vector<Route> healthRoutes(ReadinessProbe& probe, const StderrLogger& logger) {
  Route alive;
  alive.method = "GET";
  alive.path = kHealthPath;
  alive.maxBodyBytes = 0;
  alive.handler = [](const HttpRequest&) {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", "alive");
    return jsonResponse(200, body);
  };
  Route ready;
  ready.method = "GET";
  ready.path = kReadyPath;
  ready.maxBodyBytes = 0;
  ready.handler = [&probe, &logger](const HttpRequest&) {
    return readinessResponse(probe.report(), logger);
  };
  return {alive, ready};
}

std::vector<ReadinessCheck> readinessChecks(Plugin& plugin, DocumentTarget& target) {
  const auto known = knownPluginProbes().find(plugin.info().name);
  const PluginProbes* probes = known == knownPluginProbes().end() ? nullptr : &known->second;
  std::vector<ReadinessCheck> checks;
  if (probes != nullptr)
    checks.push_back(
        {"state", [&plugin, probes] { return runProbeCommand(plugin, probes->state); }});
  checks.push_back({"target", [&target] { return checkTarget(target); }});
  if (probes != nullptr)
    checks.push_back(
        {"token", [&plugin, probes] { return runProbeCommand(plugin, probes->token); }});
  return checks;
}

}  // namespace dms::host
