#include "api/ClientOptions.h"

#include <cmath>
#include <optional>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "dms/http/Loopback.h"

namespace ambita::api {
namespace {

using dms::ErrorCode;
using dms::OptionType;

constexpr const char* kPrefix = "ambita.";

dms::Error badKey(const std::string& key, const std::string& what) {
  return dms::fail(ErrorCode::InvalidArgument, kPrefix + key + ": " + what);
}

/// Reads an optional string; a number is not accepted (a string is always quoted in JSON).
std::optional<dms::Error> readString(const Poco::JSON::Object& s, const std::string& key,
                                     std::string& out) {
  if (!s.has(key) || s.isNull(key)) return std::nullopt;
  const Poco::Dynamic::Var v = s.get(key);
  if (!v.isString()) return badKey(key, "expected a string");
  out = v.extract<std::string>();
  return std::nullopt;
}

/// Reads an optional number (JSON number or numeric string) within [lo, hi].
std::optional<dms::Error> readNumber(const Poco::JSON::Object& s, const std::string& key, double lo,
                                     double hi, std::optional<double>& out) {
  if (!s.has(key) || s.isNull(key)) return std::nullopt;
  const Poco::Dynamic::Var v = s.get(key);
  const std::string range = "expected a number between " + Poco::Dynamic::Var(lo).toString() +
                            " and " + Poco::Dynamic::Var(hi).toString();
  double d = 0;
  try {
    if (v.isString() || v.isNumeric()) {
      d = v.convert<double>();
    } else {
      return badKey(key, range);
    }
  } catch (const Poco::Exception&) {
    return badKey(key, range);
  }
  if (!std::isfinite(d) || d < lo || d > hi) return badKey(key, range);
  out = d;
  return std::nullopt;
}

/// Reads an optional JSON boolean.
std::optional<dms::Error> readBool(const Poco::JSON::Object& s, const std::string& key, bool& out) {
  if (!s.has(key) || s.isNull(key)) return std::nullopt;
  const Poco::Dynamic::Var v = s.get(key);
  if (!v.isBoolean()) return badKey(key, "expected true or false");
  out = v.extract<bool>();
  return std::nullopt;
}

/// The password grant carries the password and the client secret in its body: plain http is
/// refused unless the server is this machine or the administrator opted in.
std::optional<dms::Error> checkTransport(const Poco::URI& uri, bool allowInsecureHttp) {
  if (uri.getScheme() != "http" || allowInsecureHttp || dms::http::isLoopbackHost(uri.getHost()))
    return std::nullopt;
  return badKey("baseUrl", "plain http:// to " + uri.getHost() +
                               " would send the password and tokens unencrypted; use https:// "
                               "or set " +
                               kPrefix + "allowInsecureHttp to true");
}

std::chrono::milliseconds fromSeconds(double s) {
  return std::chrono::milliseconds(static_cast<long long>(std::llround(s * 1000.0)));
}

}  // namespace

std::vector<dms::ConfigOption> clientConfigOptions() {
  return {
      {"baseUrl", OptionType::String, "\"https://api.ambita.com\"", false, false,
       "Ambita API origin (test: https://beta-api.ambita.com); the bearer token is only sent here"},
      {"clientId", OptionType::String, "", true, false, "OAuth2 client id issued by Ambita"},
      {"clientSecret", OptionType::String, "", true, true,
       "OAuth2 client secret; write it as ${ENV_NAME}"},
      {"username", OptionType::String, "", true, false, "Ambita API user (password grant)"},
      {"password", OptionType::String, "", true, true,
       "password of the API user; write it as ${ENV_NAME}"},
      {"caFile", OptionType::String, "", false, false,
       "PEM file of CA certificates to trust instead of the system's"},
      {"tlsVerification", OptionType::String, "\"strict\"", false, false,
       "\"strict\" (certificate chain and host name, always) or \"relaxed\" (Poco's relaxed "
       "mode: no host-name check for loopback servers)"},
      {"connectTimeoutSeconds", OptionType::Number, "10", false, false, "TCP/TLS connect timeout"},
      {"readTimeoutSeconds", OptionType::Number, "60", false, false,
       "longest wait for the next bytes of an answer"},
      {"maxAttempts", OptionType::Integer, "5", false, false,
       "attempts per call for retryable failures (connection errors, timeouts, 5xx, 429)"},
      {"maxRetrySeconds", OptionType::Number, "120", false, false,
       "upper bound of the time one call spends retrying"},
      {"initialBackoffMs", OptionType::Integer, "500", false, false,
       "first backoff delay; doubles per attempt, with jitter"},
      {"maxBackoffMs", OptionType::Integer, "30000", false, false, "largest backoff delay"},
      {"maxConnectionsPerOrigin", OptionType::Integer, "4", false, false,
       "keep-alive connections per host, also the bound on concurrent calls to it"},
      {"tokenRefreshMarginSeconds", OptionType::Number, "60", false, false,
       "renew the access token this long before it expires"},
      {"maxWaitSeconds", OptionType::Number, "300", false, false,
       "longest wait for a free connection or for another call's token renewal"},
      {"maxDownloadMiB", OptionType::Integer, "16384", false, false,
       "largest file downloaded, in MiB (also when the server sends no Content-Length)"},
      {"allowInsecureHttp", OptionType::Boolean, "false", false, false,
       "allow a plain http:// baseUrl to a non-loopback host (password and tokens unencrypted)"},
  };
}

dms::Result<ClientOptions> parseClientOptions(const Poco::JSON::Object& section) {
  ClientOptions o;
  for (auto [key, target] : {std::pair<const char*, std::string*>{"baseUrl", &o.baseUrl},
                             {"clientId", &o.clientId},
                             {"clientSecret", &o.clientSecret},
                             {"username", &o.username},
                             {"password", &o.password},
                             {"caFile", &o.caFile}}) {
    if (auto e = readString(section, key, *target)) return *e;
  }
  for (auto [key, value] : {std::pair<const char*, const std::string*>{"clientId", &o.clientId},
                            {"clientSecret", &o.clientSecret},
                            {"username", &o.username},
                            {"password", &o.password}}) {
    if (value->empty()) return badKey(key, "required (a non-empty string)");
  }
  if (auto e = readBool(section, "allowInsecureHttp", o.allowInsecureHttp)) return *e;
  try {
    Poco::URI uri(o.baseUrl);
    if ((uri.getScheme() != "https" && uri.getScheme() != "http") || uri.getHost().empty())
      return badKey("baseUrl",
                    "expected an http:// or https:// URL with a host, got '" + o.baseUrl + "'");
    if (!uri.getQuery().empty() || !uri.getUserInfo().empty())
      return badKey("baseUrl", "must not carry a query or user info");
    if (auto e = checkTransport(uri, o.allowInsecureHttp)) return *e;
  } catch (const Poco::Exception& e) {
    return badKey("baseUrl", "not a URL: " + e.message());
  }
  while (!o.baseUrl.empty() && o.baseUrl.back() == '/') o.baseUrl.pop_back();
  if (!o.caFile.empty()) {
    // Checked here so that a typo surfaces in `config check`, not at the first TLS handshake.
    if (FILE* f = std::fopen(o.caFile.c_str(), "r")) {
      std::fclose(f);
    } else {
      return badKey("caFile", "cannot read '" + o.caFile + "'");
    }
  }
  std::string verification;
  if (auto e = readString(section, "tlsVerification", verification)) return *e;
  if (verification == "relaxed") {
    o.tlsVerification = TlsVerification::Relaxed;
  } else if (!verification.empty() && verification != "strict") {
    return badKey("tlsVerification",
                  "expected \"strict\" or \"relaxed\", got '" + verification + "'");
  }

  std::optional<double> n;
  if (auto e = readNumber(section, "connectTimeoutSeconds", 0.05, 600, n)) return *e;
  if (n) o.connectTimeout = fromSeconds(*n);
  n.reset();
  if (auto e = readNumber(section, "readTimeoutSeconds", 0.05, 3600, n)) return *e;
  if (n) o.readTimeout = fromSeconds(*n);
  n.reset();
  if (auto e = readNumber(section, "maxAttempts", 1, 20, n)) return *e;
  if (n) {
    if (*n != std::floor(*n)) return badKey("maxAttempts", "expected a whole number");
    o.maxAttempts = static_cast<int>(*n);
  }
  n.reset();
  if (auto e = readNumber(section, "maxRetrySeconds", 0, 3600, n)) return *e;
  if (n) o.maxRetryTime = fromSeconds(*n);
  n.reset();
  if (auto e = readNumber(section, "initialBackoffMs", 0, 60'000, n)) return *e;
  if (n) o.initialBackoff = std::chrono::milliseconds(static_cast<long long>(*n));
  n.reset();
  if (auto e = readNumber(section, "maxBackoffMs", 0, 600'000, n)) return *e;
  if (n) o.maxBackoff = std::chrono::milliseconds(static_cast<long long>(*n));
  n.reset();
  if (auto e = readNumber(section, "maxConnectionsPerOrigin", 1, 64, n)) return *e;
  if (n) {
    if (*n != std::floor(*n)) return badKey("maxConnectionsPerOrigin", "expected a whole number");
    o.maxConnectionsPerOrigin = static_cast<int>(*n);
  }
  n.reset();
  if (auto e = readNumber(section, "tokenRefreshMarginSeconds", 0, 3600, n)) return *e;
  if (n) o.tokenRefreshMargin = fromSeconds(*n);
  n.reset();
  if (auto e = readNumber(section, "maxWaitSeconds", 1, 3600, n)) return *e;
  if (n) o.maxWait = fromSeconds(*n);
  n.reset();
  if (auto e = readNumber(section, "maxDownloadMiB", 1, 1024 * 1024, n)) return *e;
  if (n) {
    if (*n != std::floor(*n)) return badKey("maxDownloadMiB", "expected a whole number");
    o.maxDownloadBytes = static_cast<std::uint64_t>(*n) << 20;
  }
  if (o.maxBackoff < o.initialBackoff) o.maxBackoff = o.initialBackoff;
  return o;
}

}  // namespace ambita::api
