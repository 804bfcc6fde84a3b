#pragma once
/// Settings of the Ambita API client, read from the plugin's configuration section ("ambita").
/// One schema (clientConfigOptions) drives parsing, `config check`, the admin view and docs.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "dms/ConfigSchema.h"
#include "dms/Error.h"
#include "dms/config/OptionReader.h"

namespace ambita::api {

/// TLS certificate checking. Strict also checks the host name against loopback servers.
enum class TlsVerification { Strict, Relaxed };

struct ClientOptions {
  std::string baseUrl = "https://api.ambita.com";  ///< scheme://host[:port], no path needed
  std::string clientId;
  std::string clientSecret;  ///< secret: never logged
  std::string username;
  std::string password;  ///< secret: never logged
  /// PEM file with the CA certificates to trust; empty = the system's CAs.
  std::string caFile;
  TlsVerification tlsVerification = TlsVerification::Strict;
  std::chrono::milliseconds connectTimeout{10'000};
  std::chrono::milliseconds readTimeout{60'000};
  /// Attempts per call (first try included) for retryable failures.
  int maxAttempts = 5;
  /// Upper bound of the total time one call may spend retrying (backoff sleeps included).
  std::chrono::milliseconds maxRetryTime{120'000};
  std::chrono::milliseconds initialBackoff{500};
  std::chrono::milliseconds maxBackoff{30'000};
  /// Keep-alive connections per origin (scheme, host, port); also the concurrency bound.
  int maxConnectionsPerOrigin = 4;
  /// Longest wait for a free connection (all maxConnectionsPerOrigin lent out) or for another
  /// call's token renewal; the call fails with Unavailable after it.
  std::chrono::milliseconds maxWait{300'000};
  /// Largest download accepted, with or without Content-Length (a body without one would
  /// otherwise grow without bound).
  std::uint64_t maxDownloadBytes = 16ULL << 30;
  /// Allows a plain http:// baseUrl to a host other than loopback (the password and tokens
  /// then travel unencrypted). Loopback http is always allowed (tests, the sandbox).
  bool allowInsecureHttp = false;
  /// Refresh the access token this long before it expires (capped at a quarter of its life).
  std::chrono::milliseconds tokenRefreshMargin{60'000};
  /// User-Agent header, e.g. "dms-host 0.1.0 ambita-plugin".
  std::string userAgent = "ambita-dms";
};

/// The `ambita.*` options the client reads, for the plugin's ConfigSchema.
std::vector<dms::ConfigOption> clientConfigOptions();

/// Reads and checks the client's keys through a reader of the plugin's section (whose schema
/// declares clientConfigOptions(): types and defaults come from there, ranges and rules from
/// here). Errors (InvalidArgument) name the key, e.g.
/// "ambita.connectTimeoutSeconds: expected a number between 0.05 and 600, got 0"; never a
/// secret value.
dms::Result<ClientOptions> parseClientOptions(const dms::config::OptionReader& options);

}  // namespace ambita::api
