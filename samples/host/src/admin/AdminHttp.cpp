#include "AdminHttp.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

namespace dms::host::admin {

HostResponse jsonAnswer(int status, const std::string& body) {
  HostResponse reply;
  reply.answer.status = status;
  reply.answer.contentType = "application/json";
  reply.answer.body = body;
  reply.headers = {{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}};
  return reply;
}

HostResponse jsonAnswer(int status, const Poco::JSON::Object::Ptr& body) {
  std::ostringstream text;
  Poco::JSON::Stringifier::stringify(body, text);
  return jsonAnswer(status, text.str());
}

HostResponse errorAnswer(int status, const std::string& text) {
  Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
  body->set("error", text);
  return jsonAnswer(status, body);
}

std::map<std::string, std::string> queryParameters(const HttpRequest& request) {
  std::map<std::string, std::string> parameters;
  try {
    for (auto& [name, value] : Poco::URI("/?" + request.query).getQueryParameters())
      parameters[name] = value;
  } catch (const Poco::Exception&) {  // a malformed escape: no parameters, each then missing
  }
  return parameters;
}

std::optional<Poco::JSON::Object::Ptr> jsonBody(const HttpRequest& request, std::string& error) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return Poco::JSON::Object::Ptr(new Poco::JSON::Object);
  try {
    Poco::JSON::Parser parser;
    auto parsed = parser.parse(request.body);
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
      return parsed.extract<Poco::JSON::Object::Ptr>();
    error = "request body: expected a JSON object";
  } catch (const Poco::Exception& e) {
    error = "request body: not JSON: " + e.message();
  }
  return std::nullopt;
}

std::string cookie(const HttpRequest& request, const std::string& name) {
  auto header = request.headers.find("cookie");
  if (header == request.headers.end()) return "";
  std::istringstream pairs(header->second);
  std::string pair;
  while (std::getline(pairs, pair, ';')) {
    const auto start = pair.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    const auto equals = pair.find('=', start);
    if (equals != std::string::npos && pair.compare(start, equals - start, name) == 0 &&
        equals - start == name.size())
      return pair.substr(equals + 1);
  }
  return "";
}

std::optional<std::string> orderId(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return text;
}

std::string clientHost(const HttpRequest& request) {
  const std::string& address = request.remoteAddress;
  if (address.starts_with("[")) return address.substr(0, address.find(']') + 1);
  return address.substr(0, address.rfind(':'));
}

}  // namespace dms::host::admin
