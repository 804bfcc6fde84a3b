#include "dms/webdav/WebDavOptions.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <set>

#include "dms/http/Loopback.h"

namespace dms::webdav {
namespace {

Error badKey(const std::string& key, const std::string& problem) {
  return fail(ErrorCode::InvalidArgument, "target." + key + ": " + problem);
}

}  // namespace

ConfigSchema WebDavOptions::schema() {
  using T = OptionType;
  return ConfigSchema{{
      {"url", T::String, "", true, false,
       "Base collection URL, e.g. https://dms.example.com/remote.php/dav/files/ambita/"},
      {"username", T::String, "", false, false, "User for Basic or Digest authentication"},
      {"password", T::String, "", false, true, "Password (write it as ${ENV_NAME})"},
      {"bearerToken", T::String, "", false, true,
       "Bearer token instead of username/password (write it as ${ENV_NAME})"},
      {"caFile", T::String, "", false, false,
       "PEM file of CA certificates to trust (default: the system's)"},
      {"connectTimeoutSeconds", T::Integer, "10", false, false, "Connection timeout"},
      {"timeoutSeconds", T::Integer, "60", false, false, "Send/receive timeout per request"},
      {"concurrency", T::Integer, "4", false, false, "Maximum parallel connections"},
      {"metadata", T::String, "\"auto\"", false, false,
       "auto | properties | sidecar: where file metadata is kept"},
      {"retries", T::Integer, "4", false, false,
       "Extra attempts after connection errors, timeouts, 5xx, 423, 429"},
      {"retryDelayMs", T::Integer, "250", false, false,
       "First retry delay in milliseconds; doubles per attempt (max 8 s)"},
      {"allowInsecureHttp", T::Boolean, "false", false, false,
       "Allow credentials over plain http:// to a non-loopback host (sent unencrypted)"},
  }};
}

Result<WebDavOptions> WebDavOptions::parse(const std::string& json) {
  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument, "target: not a JSON object: " + e.displayText());
  } catch (const std::exception& e) {
    return fail(ErrorCode::InvalidArgument, std::string("target: not a JSON object: ") + e.what());
  }
  if (!object) return fail(ErrorCode::InvalidArgument, "target: not a JSON object");

  std::set<std::string> known{"connector"};
  for (const auto& option : schema().options) known.insert(option.key);
  for (const auto& [key, value] : *object) {
    if (!known.count(key)) return badKey(key, "unknown key for the webdav connector");
  }

  WebDavOptions options;
  auto getString = [&](const std::string& key, std::string& out) -> Status {
    if (!object->has(key)) return {};
    Poco::Dynamic::Var v = object->get(key);
    if (!v.isString()) return badKey(key, "expected a string");
    out = v.extract<std::string>();
    return {};
  };
  auto getInt = [&](const std::string& key, int& out, int min, int max) -> Status {
    if (!object->has(key)) return {};
    Poco::Dynamic::Var v = object->get(key);
    if (!v.isInteger())
      return badKey(key, "expected an integer between " + std::to_string(min) + " and " +
                             std::to_string(max));
    long long n = v.convert<long long>();
    if (n < min || n > max)
      return badKey(key, "expected an integer between " + std::to_string(min) + " and " +
                             std::to_string(max) + ", got " + std::to_string(n));
    out = static_cast<int>(n);
    return {};
  };

  for (auto [key, field] : {std::pair{"url", &options.url},
                            {"username", &options.username},
                            {"password", &options.password},
                            {"bearerToken", &options.bearerToken},
                            {"caFile", &options.caFile}}) {
    if (auto s = getString(key, *field); !s) return s.error();
  }
  std::string metadata = "auto";
  if (auto s = getString("metadata", metadata); !s) return s.error();
  if (metadata == "auto")
    options.metadata = MetadataMode::Auto;
  else if (metadata == "properties")
    options.metadata = MetadataMode::Properties;
  else if (metadata == "sidecar")
    options.metadata = MetadataMode::Sidecar;
  else
    return badKey("metadata", "expected auto, properties or sidecar, got '" + metadata + "'");

  if (auto s = getInt("connectTimeoutSeconds", options.connectTimeoutSeconds, 1, 3600); !s)
    return s.error();
  if (auto s = getInt("timeoutSeconds", options.timeoutSeconds, 1, 86400); !s) return s.error();
  if (auto s = getInt("concurrency", options.concurrency, 1, 256); !s) return s.error();
  if (auto s = getInt("retries", options.retries, 0, 20); !s) return s.error();
  if (auto s = getInt("retryDelayMs", options.retryDelayMs, 0, 60000); !s) return s.error();

  if (object->has("allowInsecureHttp")) {
    Poco::Dynamic::Var v = object->get("allowInsecureHttp");
    if (!v.isBoolean()) return badKey("allowInsecureHttp", "expected true or false");
    options.allowInsecureHttp = v.extract<bool>();
  }

  if (options.url.empty()) return badKey("url", "required (the base collection URL)");
  try {
    Poco::URI uri(options.url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https")
      return badKey("url",
                    "expected an http:// or https:// URL, got scheme '" + uri.getScheme() + "'");
    if (uri.getHost().empty()) return badKey("url", "the URL has no host");
    if (!uri.getUserInfo().empty())
      return badKey("url", "must not contain user information; use username and password");
    if (!uri.getRawQuery().empty() || !uri.getFragment().empty())
      return badKey("url", "must not contain a query or fragment");

  } catch (const Poco::Exception& e) {
    return badKey("url", "not a valid URL: " + e.displayText());
  }
  if (!options.bearerToken.empty() && (!options.username.empty() || !options.password.empty()))
    return badKey("bearerToken", "give either bearerToken or username/password, not both");
  if (!options.password.empty() && options.username.empty())
    return badKey("username", "required when a password is given");
  // Basic sends the password in every request, Digest lets an eavesdropper attack it, and a
  // bearer token is as good as a password: all need TLS unless the server is this machine.
  const bool credentials = !options.username.empty() || !options.bearerToken.empty();
  const Poco::URI uri(options.url);
  if (uri.getScheme() == "http" && credentials && !options.allowInsecureHttp &&
      !dms::http::isLoopbackHost(uri.getHost()))
    return badKey("url", "plain http:// to " + uri.getHost() +
                             " would send the credentials unencrypted; use https:// or set "
                             "target.allowInsecureHttp to true");
  return options;
}

}  // namespace dms::webdav
