// The admin API's endpoints that ask the plugin: each one plugin command with --json (the
// contract in docs/admin-api.md), its exit code mapped to an HTTP status.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "AdminApi.h"
#include "AdminHttp.h"

namespace dms::host::admin {

namespace {

constexpr const char* kSource = "admin";
constexpr std::size_t kMaxSearchLength = 200;

/// Counts commands in flight for as long as it lives.
class InFlight {
 public:
  explicit InFlight(std::atomic<int>& count) : count_(count) { ++count_; }
  ~InFlight() { --count_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int>& count_;
};

bool isJsonObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).type() == typeid(Poco::JSON::Object::Ptr);
  } catch (...) {
    return false;
  }
}

/// The first line of `text`, for one-line errors.
std::string firstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

/// A number from the query, 1 to `max`; "" when absent; nullopt (and `error`) when wrong.
std::optional<std::string> pageNumber(const std::map<std::string, std::string>& query,
                                      const std::string& name, long max, std::string& error) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return std::string();
  const auto digits = orderId(it->second);
  if (!digits || digits->size() > 9 || std::stol(*digits) < 1 || std::stol(*digits) > max) {
    error = "query parameter '" + name + "': expected a number from 1 to " + std::to_string(max);
    return std::nullopt;
  }
  return *digits;
}

struct OrderRequest {
  Poco::JSON::Object::Ptr body;
  std::string id;
};

/// The JSON body and its "orderId" (a number or a string of digits); nullopt after setting
/// `refusal` when either is wrong.
std::optional<OrderRequest> orderRequest(const HttpRequest& request, HostResponse& refusal) {
  std::string error;
  auto body = jsonBody(request, error);
  if (!body) {
    refusal = errorAnswer(400, error);
    return std::nullopt;
  }
  std::optional<std::string> id;
  if ((*body)->has("orderId")) {
    const auto value = (*body)->get("orderId");
    if (value.isInteger() || value.isString()) id = orderId(value.convert<std::string>());
  }
  if (!id) {
    refusal = errorAnswer(400, "request body: 'orderId' must be an order id");
    return std::nullopt;
  }
  return OrderRequest{*body, *id};
}

/// Appends `flag` and the body's string `name` when it is there and not empty; false after
/// setting `refusal` when it is not a string.
bool addOptionalString(const Poco::JSON::Object::Ptr& body, const std::string& name,
                       const std::string& flag, std::vector<std::string>& args,
                       HostResponse& refusal) {
  if (!body->has(name) || body->get(name).isEmpty()) return true;
  if (!body->get(name).isString()) {
    refusal = errorAnswer(400, "request body: '" + name + "' must be a string");
    return false;
  }
  const auto value = body->getValue<std::string>(name);
  if (!value.empty()) args.insert(args.end(), {flag, value});
  return true;
}

}  // namespace

HostResponse AdminApi::runPlugin(const std::string& command, std::vector<std::string> args) {
  InFlight inFlight(commandsInFlight_);
  if (commandsInFlight_.load() > kMaxCommandsInFlight)
    return errorAnswer(503, "the console is busy with other commands: try again shortly");
  args.push_back("--json");
  std::ostringstream out, err;
  const int code = sources_.plugin->runCommand(command, args, CommandIO{&out, &err, false});
  StderrLogger& logger = *sources_.logger;
  const std::string text = logger.mask(out.str());
  if (code == 0) {
    if (!isJsonObject(text))
      return errorAnswer(502, "plugin command '" + command + "' answered no JSON object");
    return jsonAnswer(200, text);
  }
  if (code == 1) {
    std::string error = "plugin command '" + command + "' failed";
    if (isJsonObject(text)) {
      Poco::JSON::Parser parser;
      auto object = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
      error = object->optValue<std::string>("error", error);
    } else if (!err.str().empty()) {
      error += ": " + firstLine(logger.mask(err.str()));
    }
    // The contract's "order ID is not tracked" is the one failure that is the caller's.
    return errorAnswer(error.find("is not tracked") != std::string::npos ? 404 : 500, error);
  }
  const std::string usage = firstLine(logger.mask(err.str()));
  return errorAnswer(400, "plugin command '" + command + "' refused the arguments" +
                              (usage.empty() ? "" : ": " + usage));
}

HostResponse AdminApi::runAction(const Caller& caller, const std::string& command,
                                 std::vector<std::string> args) {
  std::string line = caller.actor + " " + command;
  for (const auto& arg : args) line += " " + arg;
  args.push_back("--actor");
  args.push_back(caller.actor);
  HostResponse reply = runPlugin(command, std::move(args));
  sources_.logger->info(kSource, "audit: " + line + " -> " + std::to_string(reply.answer.status));
  return reply;
}

HostResponse AdminApi::orders(const HttpRequest& request) {
  const auto query = queryParameters(request);
  std::string error;
  const auto page = pageNumber(query, "page", 1000000000, error);
  const auto perPage = pageNumber(query, "perPage", 500, error);
  if (!page || !perPage) return errorAnswer(400, error);
  std::vector<std::string> args;
  if (!page->empty()) args.insert(args.end(), {"--page", *page});
  if (!perPage->empty()) args.insert(args.end(), {"--per-page", *perPage});
  if (auto search = query.find("search"); search != query.end() && !search->second.empty()) {
    if (search->second.size() > kMaxSearchLength)
      return errorAnswer(400, "query parameter 'search': longer than " +
                                  std::to_string(kMaxSearchLength) + " characters");
    args.insert(args.end(), {"--search", search->second});
  }
  if (auto state = query.find("state"); state != query.end() && !state->second.empty()) {
    if (state->second != "active" && state->second != "finished" && state->second != "failing")
      return errorAnswer(400, "query parameter 'state': expected active, finished or failing");
    args.insert(args.end(), {"--state", state->second});
  }
  return runPlugin("status", std::move(args));
}

HostResponse AdminApi::order(const HttpRequest& request) {
  const auto query = queryParameters(request);
  auto id = query.count("id") ? orderId(query.at("id")) : std::nullopt;
  if (!id) return errorAnswer(400, "query parameter 'id': expected an order id (digits)");
  return runPlugin("status", {*id});
}

HostResponse AdminApi::preview(const HttpRequest& request) {
  const auto query = queryParameters(request);
  auto id = query.count("order") ? orderId(query.at("order")) : std::nullopt;
  if (!id) return errorAnswer(400, "query parameter 'order': expected an order id (digits)");
  return runPlugin("preview", {"--order", *id});
}

HostResponse AdminApi::track(const HttpRequest& request, const Caller& caller) {
  HostResponse refusal;
  auto order = orderRequest(request, refusal);
  if (!order) return refusal;
  std::vector<std::string> args{order->id};
  if (!addOptionalString(order->body, "reference", "--reference", args, refusal)) return refusal;
  return runAction(caller, "track", std::move(args));
}

HostResponse AdminApi::sync(const HttpRequest& request, const Caller& caller) {
  HostResponse refusal;
  auto order = orderRequest(request, refusal);
  if (!order) return refusal;
  return runAction(caller, "sync", {"--order", order->id});
}

HostResponse AdminApi::retry(const HttpRequest& request, const Caller& caller) {
  HostResponse refusal;
  auto order = orderRequest(request, refusal);
  if (!order) return refusal;
  std::vector<std::string> args{order->id};
  if (!addOptionalString(order->body, "assetId", "--asset", args, refusal)) return refusal;
  return runAction(caller, "retry", std::move(args));
}

HostResponse AdminApi::verify(const HttpRequest& request, const Caller& caller) {
  std::string error;
  auto body = jsonBody(request, error);
  if (!body) return errorAnswer(400, error);
  std::vector<std::string> args;
  for (const char* flag : {"repair", "quick"}) {
    if (!(*body)->has(flag)) continue;
    if (!(*body)->get(flag).isBoolean())
      return errorAnswer(400, std::string("request body: '") + flag + "' must be true or false");
    if ((*body)->getValue<bool>(flag)) args.push_back(std::string("--") + flag);
  }
  return runAction(caller, "verify", std::move(args));
}

HostResponse AdminApi::modules() {
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const auto& module : sources_.modules) {
    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
    entry->set("kind", module.kind);
    entry->set("name", module.name);
    entry->set("version", module.version);
    entry->set("interfaceVersion", module.interfaceVersion.toString());
    entry->set("compilerTag", module.compilerTag);
    list->add(entry);
  }
  Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
  answer->set("host", sources_.hostName);
  answer->set("hostInterfaceVersion", kInterfaceVersion.toString());
  answer->set("modules", list);
  return jsonAnswer(200, answer);
}

}  // namespace dms::host::admin
