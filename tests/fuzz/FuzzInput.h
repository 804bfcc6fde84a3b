#pragma once
/// Helpers the fuzz targets share: the raw input as text, split into the fields a target needs,
/// and a check that stops the fuzzer when a property every answer must have is broken.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dms::fuzz {

inline std::string text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// {before the first '\n', after it}; {all, ""} when there is no newline.
inline std::pair<std::string, std::string> splitFirstLine(const std::string& input) {
  const auto newline = input.find('\n');
  if (newline == std::string::npos) return {input, ""};
  return {input.substr(0, newline), input.substr(newline + 1)};
}

/// The '\n'-separated lines of `input`.
inline std::vector<std::string> lines(const std::string& input) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= input.size()) {
    const auto newline = input.find('\n', start);
    if (newline == std::string::npos) {
      out.push_back(input.substr(start));
      break;
    }
    out.push_back(input.substr(start, newline - start));
    start = newline + 1;
  }
  return out;
}

/// A broken promise of the code under test is a crash for libFuzzer: it saves the input.
inline void require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: property violated: %s\n", property);
  std::abort();
}

}  // namespace dms::fuzz
