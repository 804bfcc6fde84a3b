#include "SandboxOptions.h"

#include <charconv>
#include <functional>
#include <map>

namespace sandbox {
namespace {

constexpr const char* kUsage =
    "usage: ambita-sandbox [--port N] [--exit-on-stdin-eof] [--client-id ID]\n"
    "                      [--client-secret S] [--username U] [--password P]\n"
    "                      [--token-lifetime SECONDS] [--push-url URL]\n"
    "                      [--step-interval-ms N] [--generation new|old] [--latency-ms N]\n"
    "                      [--extra-steps LIST] [--fault endpoint:kind[:count[:arg]]]...\n"
    "                      [--asset-size BYTES|MIN-MAX] [--price CODE=NET]... [--open-downloads]\n"
    "                      [--quiet]\n"
    "See samples/ambita-sandbox/README.md for every flag and control endpoint.\n";

template <typename T>
bool parseNumber(const std::string& text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : text) {
    if (c == ',') {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

std::string parseOptions(int argc, char** argv, SandboxOptions& options, bool& helpRequested,
                         std::string& helpText) {
  helpRequested = false;
  helpText = kUsage;
  // Flags that take a value, each with the function that stores it.
  using Setter = std::function<std::string(const std::string&)>;
  const std::map<std::string, Setter> valued = {
      {"--port",
       [&](const std::string& v) -> std::string {
         unsigned port = 0;
         if (!parseNumber(v, port) || port > 65535)
           return "--port: expected 0..65535, got '" + v + "'";
         options.port = static_cast<std::uint16_t>(port);
         return {};
       }},
      {"--client-id",
       [&](const std::string& v) -> std::string {
         options.clientId = v;
         return {};
       }},
      {"--client-secret",
       [&](const std::string& v) -> std::string {
         options.clientSecret = v;
         return {};
       }},
      {"--username",
       [&](const std::string& v) -> std::string {
         options.username = v;
         return {};
       }},
      {"--password",
       [&](const std::string& v) -> std::string {
         options.password = v;
         return {};
       }},
      {"--token-lifetime",
       [&](const std::string& v) -> std::string {
         if (!parseNumber(v, options.tokenLifetimeSeconds) || options.tokenLifetimeSeconds < 1)
           return "--token-lifetime: expected a positive number of seconds, got '" + v + "'";
         return {};
       }},
      {"--push-url",
       [&](const std::string& v) -> std::string {
         options.pushUrl = v;
         return {};
       }},
      {"--step-interval-ms",
       [&](const std::string& v) -> std::string {
         if (!parseNumber(v, options.stepIntervalMs) || options.stepIntervalMs < 0)
           return "--step-interval-ms: expected a number >= 0, got '" + v + "'";
         return {};
       }},
      {"--latency-ms",
       [&](const std::string& v) -> std::string {
         if (!parseNumber(v, options.latencyMs) || options.latencyMs < 0 ||
             options.latencyMs > 60000)
           return "--latency-ms: expected a number of milliseconds 0..60000, got '" + v + "'";
         return {};
       }},
      {"--generation",
       [&](const std::string& v) -> std::string {
         if (v != "new" && v != "old")
           return "--generation: expected 'new' or 'old', got '" + v + "'";
         options.generation = v;
         return {};
       }},
      {"--extra-steps",
       [&](const std::string& v) -> std::string {
         options.extraSteps = splitList(v);
         return {};
       }},
      {"--fault",
       [&](const std::string& v) -> std::string {
         options.faults.push_back(v);
         return {};
       }},
      {"--price",
       [&](const std::string& v) -> std::string {
         options.prices.push_back(v);
         return {};
       }},
      {"--asset-size",
       [&](const std::string& v) -> std::string {
         // BYTES, or MIN-MAX for sizes spread over a range.
         const auto dash = v.find('-');
         AssetSizeRange range;
         const bool parsed = dash == std::string::npos
                                 ? parseNumber(v, range.min) && parseNumber(v, range.max)
                                 : parseNumber(v.substr(0, dash), range.min) &&
                                       parseNumber(v.substr(dash + 1), range.max) &&
                                       range.min <= range.max;
         if (!parsed)
           return "--asset-size: expected BYTES or MIN-MAX (MIN <= MAX) in bytes, got '" + v + "'";
         options.assetSize = range;
         return {};
       }},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool hasInlineValue = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasInlineValue = true;
    }
    if (arg == "--help" || arg == "-h") {
      helpRequested = true;
      return {};
    }
    if (arg == "--exit-on-stdin-eof") {
      options.exitOnStdinEof = true;
      continue;
    }
    if (arg == "--open-downloads") {
      options.openDownloads = true;
      continue;
    }
    if (arg == "--quiet") {
      options.quiet = true;
      continue;
    }
    auto it = valued.find(arg);
    if (it == valued.end()) return "unknown option '" + arg + "'\n" + kUsage;
    if (!hasInlineValue) {
      if (i + 1 >= argc) return arg + ": missing value";
      value = argv[++i];
    }
    if (auto error = it->second(value); !error.empty()) return error;
  }
  return {};
}

}  // namespace sandbox
