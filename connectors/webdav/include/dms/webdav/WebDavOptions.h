#pragma once
/// The configuration of a WebDAV target (the host's "target" section with
/// "connector": "webdav"), its schema, and its parsing with errors that name the key.

#include <string>
#include <vector>

#include "dms/ConfigSchema.h"
#include "dms/Error.h"

namespace dms::webdav {

enum class MetadataMode {
  Auto,  ///< dead properties; falls back to sidecars if the server refuses them (detected once)
  Properties,  ///< dead properties (PROPPATCH) only
  Sidecar,     ///< a hidden JSON file beside each file
};

struct WebDavOptions {
  std::string url;  ///< base collection, http(s)://host[:port]/path/ (no user info)
  std::string username;
  std::string password;     ///< secret
  std::string bearerToken;  ///< secret; exclusive with username/password
  std::string caFile;       ///< PEM bundle to trust instead of the system CAs
  int connectTimeoutSeconds = 10;
  int timeoutSeconds = 60;  ///< option readTimeoutSeconds (formerly timeoutSeconds)
  int concurrency = 4;      ///< sessions (connections) at most
  MetadataMode metadata = MetadataMode::Auto;
  int retries = 4;         ///< extra attempts after a retryable failure (option maxAttempts - 1)
  int retryDelayMs = 250;  ///< first backoff; doubles per attempt (capped at 8 s); option
                           ///< initialBackoffMs
  /// Allows Basic/Digest credentials over plain http:// to a host other than loopback.
  bool allowInsecureHttp = false;

  /// Every option with type, default, secrecy and help, and the old spellings still read.
  static ConfigSchema schema();

  /// Parses the "target" JSON object through schema() (config-common's OptionReader). Errors:
  /// InvalidArgument naming the key path ("target.url: ...") for a missing, mistyped,
  /// out-of-range, unknown or dotted key. Never echoes a secret value. `warnings` (optional)
  /// receives what to log once (an old spelling of a key).
  static Result<WebDavOptions> parse(const std::string& json,
                                     std::vector<std::string>* warnings = nullptr);
};

}  // namespace dms::webdav
