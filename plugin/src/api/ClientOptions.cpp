#include "api/ClientOptions.h"

#include <cmath>
#include <cstdio>
#include <functional>
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
       "longest wait for the next bytes of an answer, and for its whole head; its body must "
       "bring at least 1 KiB per this"},
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

dms::Result<ClientOptions> parseClientOptions(const dms::config::OptionReader& options) {
  ClientOptions o;
  o.baseUrl = options.string("baseUrl");
  o.clientId = options.string("clientId");
  o.clientSecret = options.string("clientSecret");
  o.username = options.string("username");
  o.password = options.string("password");
  o.caFile = options.string("caFile");
  for (const char* key : {"clientId", "clientSecret", "username", "password"}) {
    if (options.string(key).empty()) return badKey(key, "required (a non-empty string)");
  }
  o.allowInsecureHttp = options.boolean("allowInsecureHttp");
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
  const std::string verification = options.string("tlsVerification");
  if (verification == "relaxed") {
    o.tlsVerification = TlsVerification::Relaxed;
  } else if (verification != "strict") {
    return badKey("tlsVerification",
                  "expected \"strict\" or \"relaxed\", got '" + verification + "'");
  }

  // The ranges; the defaults and types come from clientConfigOptions().
  struct Seconds {
    const char* key;
    double min, max;
    std::chrono::milliseconds* field;
  };
  for (const auto& [key, min, max, field] :
       {Seconds{"connectTimeoutSeconds", 0.05, 600, &o.connectTimeout},
        Seconds{"readTimeoutSeconds", 0.05, 3600, &o.readTimeout},
        Seconds{"maxRetrySeconds", 0, 3600, &o.maxRetryTime},
        Seconds{"tokenRefreshMarginSeconds", 0, 3600, &o.tokenRefreshMargin},
        Seconds{"maxWaitSeconds", 1, 3600, &o.maxWait}}) {
    auto value = options.numberIn(key, min, max);
    if (!value) return value.error();
    *field = fromSeconds(*value);
  }
  struct Whole {
    const char* key;
    long long min, max;
    std::function<void(long long)> apply;
  };
  const Whole whole[] = {
      {"maxAttempts", 1, 20, [&](long long n) { o.maxAttempts = static_cast<int>(n); }},
      {"initialBackoffMs", 0, 60'000,
       [&](long long n) { o.initialBackoff = std::chrono::milliseconds(n); }},
      {"maxBackoffMs", 0, 600'000,
       [&](long long n) { o.maxBackoff = std::chrono::milliseconds(n); }},
      {"maxConnectionsPerOrigin", 1, 64,
       [&](long long n) { o.maxConnectionsPerOrigin = static_cast<int>(n); }},
      {"maxDownloadMiB", 1, 1024 * 1024,
       [&](long long n) { o.maxDownloadBytes = static_cast<std::uint64_t>(n) << 20; }},
  };
  for (const auto& [key, min, max, apply] : whole) {
    auto value = options.integerIn(key, min, max);
    if (!value) return value.error();
    apply(*value);
  }
  if (o.maxBackoff < o.initialBackoff) o.maxBackoff = o.initialBackoff;
  return o;
}

}  // namespace ambita::api
