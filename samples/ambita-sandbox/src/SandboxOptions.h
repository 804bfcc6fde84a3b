#pragma once
/// Command-line options of the sandbox (every flag is documented in README.md).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sandbox {

/// Sizes of scripted files: every size in [min, max], spread deterministically (min == max: all
/// the same).
struct AssetSizeRange {
  std::uint64_t min = 0;
  std::uint64_t max = 0;
};

struct SandboxOptions {
  std::uint16_t port = 0;  ///< 0 picks a free port.
  bool exitOnStdinEof = false;
  std::string clientId = "sandbox-client";
  std::string clientSecret = "sandbox-secret";
  std::string username = "demo";
  std::string password = "demo-password";
  int tokenLifetimeSeconds = 3600;
  /// Empty: no push messages are sent. Several URLs, comma-separated: each message goes to
  /// the next one in turn (several hosts sharing the work).
  std::string pushUrl;
  int stepIntervalMs = 0;          ///< 0: orders only advance through the control endpoint.
  std::string generation = "new";  ///< Default payload generation of new orders: "new" or "old".
  std::vector<std::string> extraSteps;  ///< Default extra script steps of new orders.
  std::vector<std::string> faults;      ///< Raw --fault specs, parsed by FaultInjector.
  std::vector<std::string> prices;  ///< Raw --price CODE=NET overrides, applied by SandboxServer.
  std::optional<AssetSizeRange> assetSize;  ///< Scripted files' sizes; unset: varied small ones.
  bool openDownloads = false;  ///< Downloads served without a bearer token (a "foreign" host).
  bool quiet = false;          ///< No per-request log lines.
  int latencyMs = 0;           ///< Every API call (not /_sandbox/) is answered after this long.
};

/// Parses argv. Returns an error message (empty on success); "--help" yields the usage text
/// in `helpText` and sets `helpRequested`.
std::string parseOptions(int argc, char** argv, SandboxOptions& options, bool& helpRequested,
                         std::string& helpText);

/// Splits "a,b,c" into its non-empty parts.
std::vector<std::string> splitList(const std::string& text);

}  // namespace sandbox
