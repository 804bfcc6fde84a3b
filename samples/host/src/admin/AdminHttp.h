#pragma once
/// Small pieces of HTTP the admin API needs: JSON answers, query parameters, the JSON body,
/// cookies. Errors name what was wrong ("query parameter 'page': ...").

#include <Poco/JSON/Object.h>

#include <map>
#include <optional>
#include <string>

#include "RouteServer.h"
#include "dms/Plugin.h"

namespace dms::host::admin {

/// A JSON answer; API answers are never cached.
HostResponse jsonAnswer(int status, const std::string& body);
HostResponse jsonAnswer(int status, const Poco::JSON::Object::Ptr& body);
/// {"error": text}
HostResponse errorAnswer(int status, const std::string& text);

/// The decoded query parameters (the last of repeated names wins).
std::map<std::string, std::string> queryParameters(const HttpRequest& request);

/// The body as a JSON object (an empty body is an empty object); nullopt and `error` when not.
std::optional<Poco::JSON::Object::Ptr> jsonBody(const HttpRequest& request, std::string& error);

/// The value of cookie `name` in the Cookie header; "" when absent.
std::string cookie(const HttpRequest& request, const std::string& name);

/// An order id (1 to 18 digits) from `text`; nullopt when it is not one.
std::optional<std::string> orderId(const std::string& text);

/// The client's address without its port ("127.0.0.1:5000" -> "127.0.0.1").
std::string clientHost(const HttpRequest& request);

}  // namespace dms::host::admin
