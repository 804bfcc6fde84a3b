#include "KodeApi.h"

#include <map>
#include <regex>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/NumberParser.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "ResponseWriter.h"

namespace sandbox {
namespace {

using Poco::JSON::Object;

Object::Ptr error(const std::string& code, const std::string& message) {
  Object::Ptr body = new Object;
  body->set("error", code);
  body->set("message", message);
  return body;
}

/// Decodes a form body (a=b&c=d, '+' for space) or a JSON object body into parameters.
bool tokenParams(const std::string& contentType, const std::string& body,
                 std::map<std::string, std::string>& params, std::string& problem) {
  const bool json = contentType.find("json") != std::string::npos ||
                    (!body.empty() && body.find_first_not_of(" \t\r\n") != std::string::npos &&
                     body[body.find_first_not_of(" \t\r\n")] == '{');
  if (json) {
    try {
      Poco::JSON::Parser parser;
      Object::Ptr object = parser.parse(body).extract<Object::Ptr>();
      for (const auto& [key, value] : *object)
        if (!value.isEmpty()) params[key] = value.toString();
    } catch (const Poco::Exception& e) {
      problem = "body: not a JSON object (" + e.message() + ")";
      return false;
    }
    return true;
  }
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string pair = body.substr(start, end - start);
    if (!pair.empty()) {
      std::replace(pair.begin(), pair.end(), '+', ' ');
      const std::size_t eq = pair.find('=');
      std::string key;
      std::string value;
      try {
        Poco::URI::decode(pair.substr(0, eq), key);
        if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value);
      } catch (const Poco::Exception&) {
        problem = "body: bad form encoding";
        return false;
      }
      params[key] = value;
    }
    start = end + 1;
  }
  return true;
}

std::string contentTypeFor(const Asset& asset) {
  const std::string& name = asset.filename.empty() ? asset.name : asset.filename;
  const std::size_t dot = name.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : Poco::toLower(name.substr(dot + 1));
  if (ext == "pdf") return "application/pdf";
  if (ext == "txt" || ext == "sos" || ext == "kof") return "text/plain";
  if (ext == "zip") return "application/zip";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  return "application/octet-stream";
}

}  // namespace

std::pair<int, Poco::Dynamic::Var> KodeApi::createOrder(const std::string& kind,
                                                        const std::string& body) {
  OrderRequest order;
  if (auto problem = validator_.validate(kind, body, order); !problem.empty())
    return {400, error("validation_failed", problem)};
  const std::int64_t id = state_.orders.create(order);
  return {200, state_.orders.render(id)};
}

std::pair<int, Poco::Dynamic::Var> KodeApi::quote(const std::string& kind,
                                                  const std::string& body) {
  OrderRequest request;
  if (auto problem = validator_.validate(kind, body, request, OrderValidator::Purpose::Quote);
      !problem.empty())
    return {400, error("validation_failed", problem)};
  Poco::JSON::Array::Ptr prices = new Poco::JSON::Array;
  for (const Product* product : request.products) {
    Object::Ptr entry = new Object;
    entry->set("code", product->code);
    Object::Ptr price = new Object;
    price->set("salesPriceNet", product->priceNet);
    price->set("salesPriceVat", Catalogue::grossPrice(product->priceNet));
    entry->set("price", price);
    prices->add(entry);
  }
  return {200, prices};
}

void KodeApi::handle(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) {
  using Poco::Net::HTTPRequest;
  const std::string target = request.getURI();
  Poco::URI uri(target);
  const std::string path = uri.getPath();
  const std::string& method = request.getMethod();
  // Read the whole request body first: an unread body would turn a deliberate close into a reset.
  std::string body;
  Poco::StreamCopier::copyToString(request.stream(), body);

  static const std::regex kOrderId(R"(/kode/v1/orders/([^/]+))");
  static const std::regex kPrices(R"(/kode/v1/prices/([^/]+))");
  static const std::regex kAsset(R"(/shopping/v2/assets/([^/]+))");
  std::smatch match;
  std::string endpoint = "other";
  std::string expectedMethod = HTTPRequest::HTTP_GET;
  std::string captured;
  if (path == "/authentication/v2/token") {
    endpoint = "token";
    expectedMethod = HTTPRequest::HTTP_POST;
  } else if (path == "/kode/v1/products") {
    endpoint = "products";
  } else if (method == HTTPRequest::HTTP_POST && std::regex_match(path, match, kOrderId)) {
    endpoint = "createOrder";
    expectedMethod = HTTPRequest::HTTP_POST;
    captured = match[1];
  } else if (std::regex_match(path, match, kPrices)) {
    endpoint = "prices";
    expectedMethod = HTTPRequest::HTTP_POST;
    captured = match[1];
  } else if (std::regex_match(path, match, kOrderId)) {
    endpoint = "getOrder";
    captured = match[1];
  } else if (std::regex_match(path, match, kAsset)) {
    endpoint = "download";
    captured = match[1];
  }

  RequestRecord record{method, target, endpoint, request.has("Authorization"), 0, ""};
  std::optional<Fault> fault;
  // Only a call that reaches its endpoint uses up a fault.
  if (endpoint != "other" && method == expectedMethod) fault = state_.faults.take(endpoint);
  if (fault) record.fault = FaultInjector::kindName(fault->kind);
  ResponseWriter writer(request, response, fault, [&](int status) {
    record.status = status;
    state_.log.record(record);
  });

  if (endpoint == "other") {
    writer.sendJson(404, error("not_found", "no API endpoint " + method + " " + path));
    return;
  }
  if (method != expectedMethod) {
    writer.sendJson(
        405, error("method_not_allowed", method + " " + path + ": expected " + expectedMethod));
    return;
  }
  if (fault && fault->kind == FaultKind::kExpire) state_.tokens.expireAll();
  if (writer.answerWithFault()) return;

  if (endpoint == "token") {
    std::map<std::string, std::string> params;
    std::string problem;
    if (!tokenParams(request.getContentType(), body, params, problem)) {
      writer.sendJson(400, error("invalid_request", problem));
      return;
    }
    GrantResult result = state_.tokens.grant(params);
    if (result.status == 401) response.set("WWW-Authenticate", "Basic realm=\"ambita-sandbox\"");
    response.set("Cache-Control", "no-store");
    writer.sendJson(result.status, result.body);
    return;
  }

  // Every other endpoint needs a valid bearer token (downloads not with --open-downloads).
  if (endpoint != "download" || !state_.openDownloads) {
    const std::string authorization = request.get("Authorization", "");
    const bool bearer =
        authorization.size() > 7 && Poco::icompare(authorization.substr(0, 7), "Bearer ") == 0;
    if (!bearer || !state_.tokens.isValid(Poco::trim(authorization.substr(7)))) {
      response.set("WWW-Authenticate", "Bearer realm=\"ambita-sandbox\", error=\"invalid_token\"");
      writer.sendJson(401, error("invalid_token", bearer ? "access token is unknown or expired"
                                                         : "missing Authorization: Bearer header"));
      return;
    }
  }

  if (endpoint == "products") {
    std::string municipality;
    bool given = false;
    for (const auto& [key, value] : uri.getQueryParameters())
      if (key == "municipality") {
        municipality = value;
        given = true;
      }
    static const std::regex kKnr(R"(\d{4})");
    if (!given) {
      writer.sendJson(400, error("validation_failed",
                                 "municipality: required query parameter (4 digits, e.g. 9999)"));
    } else if (!std::regex_match(municipality, kKnr)) {
      writer.sendJson(400, error("validation_failed",
                                 "municipality: expected 4 digits, got '" + municipality + "'"));
    } else {
      writer.sendJson(200, state_.catalogue.toJson(municipality));
    }
    return;
  }
  if (endpoint == "createOrder") {
    auto [status, reply] = createOrder(captured, body);
    writer.sendJson(status, reply);
    return;
  }
  if (endpoint == "prices") {
    auto [status, reply] = quote(captured, body);
    writer.sendJson(status, reply);
    return;
  }
  if (endpoint == "getOrder") {
    Poco::Int64 id = 0;
    if (!Poco::NumberParser::tryParse64(captured, id) || id <= 0) {
      writer.sendJson(400, error("validation_failed",
                                 "orderId: expected a positive number, got '" + captured + "'"));
      return;
    }
    Object::Ptr order = state_.orders.render(id);
    if (!order) {
      writer.sendJson(404, error("not_found", "order " + captured + " does not exist"));
    } else {
      writer.sendJson(200, order);
    }
    return;
  }
  // download
  std::optional<Asset> asset = state_.orders.findAsset(captured);
  if (!asset) {
    writer.sendJson(404, error("not_found", "asset " + captured + " does not exist"));
  } else if (asset->deleted) {
    writer.sendJson(404, error("not_found", "asset " + captured + " was withdrawn"));
  } else {
    writer.sendContent(AssetContent(asset->id, asset->size), contentTypeFor(*asset));
  }
}

}  // namespace sandbox
