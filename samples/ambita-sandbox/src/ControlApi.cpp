#include "ControlApi.h"

#include <regex>
#include <sstream>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/NumberParser.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "AssetContent.h"
#include "SandboxOptions.h"

namespace sandbox {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Reply = std::pair<int, Poco::Dynamic::Var>;

Reply error(int status, const std::string& code, const std::string& message) {
  Object::Ptr body = new Object;
  body->set("error", code);
  body->set("message", message);
  return {status, body};
}

Reply ok() {
  Object::Ptr body = new Object;
  body->set("ok", true);
  return {200, body};
}

/// Parses an optional JSON body: empty means {}. Returns nullptr for a body that is not an
/// object or array.
Poco::Dynamic::Var parseBody(const std::string& body, std::string& problem) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Object::Ptr(new Object);
  try {
    Poco::JSON::Parser parser;
    return parser.parse(body);
  } catch (const Poco::Exception& e) {
    problem = "body: not JSON (" + e.message() + ")";
    return {};
  }
}

bool isHexId(const std::string& id) {
  static const std::regex kHex(R"([0-9a-f]{32})");
  return std::regex_match(id, kHex);
}

}  // namespace

void ControlApi::handle(Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response) {
  std::string body;
  Poco::StreamCopier::copyToString(request.stream(), body);
  Reply reply;
  if (!request.clientAddress().host().isLoopback()) {
    reply = error(403, "forbidden", "control endpoints answer loopback clients only");
  } else {
    try {
      reply = route(request.getMethod(), Poco::URI(request.getURI()).getPath(), body);
    } catch (const Poco::Exception& e) {
      reply = error(400, "bad_request", e.displayText());
    } catch (const std::exception& e) {
      reply = error(400, "bad_request", e.what());
    }
  }
  std::ostringstream text;
  Poco::JSON::Stringifier::condense(reply.second, text);
  const std::string json = text.str();
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.first));
  response.setContentType("application/json; charset=utf-8");
  response.setContentLength64(static_cast<Poco::Int64>(json.size()));
  response.send() << json;
  state_.log.print(request.getMethod(), request.getURI(), reply.first);
}

Reply ControlApi::assetInfo(const std::string& assetId) {
  std::optional<Asset> asset = state_.orders.findAsset(assetId);
  if (!asset) return error(404, "not_found", "asset " + assetId + " does not exist");
  std::string sha;
  {
    std::lock_guard lock(shaMutex_);
    auto it = shaCache_.find(assetId);
    if (it != shaCache_.end()) sha = it->second;
  }
  if (sha.empty()) {
    sha = AssetContent(asset->id, asset->size).sha256();
    std::lock_guard lock(shaMutex_);
    shaCache_[assetId] = sha;
  }
  Object::Ptr json = new Object;
  json->set("id", asset->id);
  json->set("size", static_cast<Poco::UInt64>(asset->size));
  json->set("sha256", sha);
  json->set("assetStatus", asset->deleted ? "DELETED" : "OK");
  json->set("name", asset->name);
  json->set("filename", asset->filename);
  json->set("productCategory", asset->category);
  return {200, json};
}

Reply ControlApi::route(const std::string& method, const std::string& path,
                        const std::string& rawBody) {
  std::string problem;
  Poco::Dynamic::Var parsed = parseBody(rawBody, problem);
  if (!problem.empty()) return error(400, "bad_request", problem);
  Object::Ptr body = parsed.type() == typeid(Object::Ptr) ? parsed.extract<Object::Ptr>() : nullptr;
  const bool get = method == "GET";
  const bool post = method == "POST";
  const bool del = method == "DELETE";
  auto needObject = [&]() -> bool { return body != nullptr; };

  static const std::regex kOrder(R"(/_sandbox/orders/(\d+)(/.*)?)");
  static const std::regex kCreate(R"(/_sandbox/orders/([a-z]+))");
  static const std::regex kAssetInfo(R"(/_sandbox/assets/([^/]+))");
  static const std::regex kWithdraw(R"(/assets/([^/]+)/withdraw)");
  static const std::regex kLineCredit(R"(/lines/([0-9]{1,18})/(cancel|refund))");
  std::smatch match;

  if (path == "/_sandbox/orders" && get) return {200, state_.orders.summaries()};
  if (post && std::regex_match(path, match, kCreate)) return api_.createOrder(match[1], rawBody);
  if (std::regex_match(path, match, kOrder)) {
    const std::int64_t id = Poco::NumberParser::parse64(match[1]);
    const std::string rest = match[2];
    if (rest.empty() && get) {
      Object::Ptr order = state_.orders.render(id);
      if (!order) return error(404, "not_found", "order " + std::to_string(id) + " does not exist");
      return {200, order};
    }
    if (!post) return error(405, "method_not_allowed", method + " " + path + ": expected POST");
    if (!needObject()) return error(400, "bad_request", "body: expected a JSON object");
    ActionResult result;
    if (rest == "/step") {
      int count = 1;
      if (body->has("count")) count = body->getValue<int>("count");
      result = state_.orders.step(id, count);
    } else if (rest == "/script") {
      Array::Ptr names = body->getArray("extraSteps");
      if (!names) return error(400, "bad_request", "extraSteps: required, an array of step names");
      std::vector<std::string> list;
      for (std::size_t i = 0; i < names->size(); ++i)
        list.push_back(names->get(static_cast<unsigned>(i)).toString());
      std::vector<StepKind> extras;
      if (auto bad = FulfilmentScript::parseExtras(list, extras); !bad.empty())
        return error(400, "bad_request", "extraSteps: " + bad);
      result = state_.orders.setExtras(id, extras);
    } else if (rest == "/generation") {
      const std::string generation = body->optValue<std::string>("generation", "");
      if (generation != "new" && generation != "old")
        return error(400, "bad_request",
                     "generation: expected \"new\" or \"old\", got '" + generation + "'");
      result = state_.orders.setGeneration(
          id, generation == "old" ? Generation::kOld : Generation::kNew);
    } else if (rest == "/assets") {
      AssetSpec spec;
      spec.id = body->optValue<std::string>("id", "");
      if (!spec.id.empty() && !isHexId(spec.id))
        return error(400, "bad_request",
                     "id: expected 32 lowercase hex digits, got '" + spec.id + "'");
      spec.name = body->optValue<std::string>("name", "Dokument.pdf");
      spec.filename = body->optValue<std::string>("filename", spec.name);
      spec.category = body->optValue<std::string>("productCategory", "PRODUKT_UTEN_KATEGORI");
      spec.size = body->optValue<Poco::UInt64>("size", 1024);
      spec.level = body->optValue<std::string>("level", "order");
      if (spec.level != "order" && spec.level != "line")
        return error(400, "bad_request",
                     "level: expected \"order\" or \"line\", got '" + spec.level + "'");
      spec.lineId = body->optValue<Poco::Int64>("lineId", 0);
      spec.downloadUrl = body->optValue<std::string>("downloadUrl", "");
      result = state_.orders.addAsset(id, spec);
    } else if (std::regex_match(rest, match, kWithdraw)) {
      result = state_.orders.withdraw(id, match[1]);
    } else if (std::regex_match(rest, match, kLineCredit)) {
      result = state_.orders.cancelLine(id, std::stoll(match[1]), match[2] == "refund");
    } else if (rest == "/cancel") {
      result = state_.orders.cancel(id, false);
    } else if (rest == "/refund") {
      result = state_.orders.cancel(id, true);
    } else {
      return error(404, "not_found", "no control endpoint POST " + path);
    }
    return {result.status, result.body};
  }
  if (std::regex_match(path, match, kAssetInfo) && get) return assetInfo(match[1]);
  if (path == "/_sandbox/faults") {
    if (get) return {200, state_.faults.toJson()};
    if (del) {
      state_.faults.clear();
      return ok();
    }
    if (post) {
      std::vector<Object::Ptr> items;
      if (body) {
        items.push_back(body);
      } else if (parsed.type() == typeid(Array::Ptr)) {
        Array::Ptr array = parsed.extract<Array::Ptr>();
        for (std::size_t i = 0; i < array->size(); ++i) {
          Object::Ptr item = array->getObject(static_cast<unsigned>(i));
          if (!item)
            return error(400, "bad_request", "[" + std::to_string(i) + "]: expected an object");
          items.push_back(item);
        }
      }
      std::vector<Fault> faults;
      for (std::size_t i = 0; i < items.size(); ++i) {
        Fault fault;
        if (auto bad = FaultInjector::fromJson(*items[i], fault); !bad.empty())
          return error(400, "bad_request",
                       items.size() > 1 ? "[" + std::to_string(i) + "] " + bad : bad);
        faults.push_back(fault);
      }
      for (const auto& fault : faults) state_.faults.add(fault);
      return {200, state_.faults.toJson()};
    }
  }
  if (path == "/_sandbox/expire-tokens" && post) {
    state_.tokens.expireAll();
    return ok();
  }
  if (path == "/_sandbox/tokens" && get) {
    Object::Ptr json = new Object;
    json->set("issued", static_cast<Poco::UInt64>(state_.tokens.issuedCount()));
    return {200, json};
  }
  if (path == "/_sandbox/push-url") {
    if (post) {
      if (!needObject() || !body->has("url"))
        return error(400, "bad_request", "url: required (empty string disables pushes)");
      const std::string url = body->get("url").toString();
      if (!url.empty() && url.rfind("http://", 0) != 0)
        return error(400, "bad_request", "url: expected an http:// URL, got '" + url + "'");
      state_.pushes.setUrl(url);
    }
    if (post || get) {
      Object::Ptr json = new Object;
      json->set("url", state_.pushes.url());
      return {200, json};
    }
  }
  if (path == "/_sandbox/pushes") {
    if (get) return {200, state_.pushes.toJson()};
    if (del) {
      state_.pushes.clear();
      return ok();
    }
  }
  if (path == "/_sandbox/requests") {
    if (get) return {200, state_.log.toJson()};
    if (del) {
      state_.log.clear();
      return ok();
    }
  }
  return error(404, "not_found", "no control endpoint " + method + " " + path);
}

}  // namespace sandbox
