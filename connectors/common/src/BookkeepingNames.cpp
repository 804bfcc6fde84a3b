#include "dms/common/BookkeepingNames.h"

#include <cstdint>
#include <cstdio>
#include <random>

#include "dms/common/Unicode.h"

namespace dms::common {
namespace {

constexpr std::size_t kMaxNameBytes = 255;

}  // namespace

std::string makeTempName(std::string_view finalName) {
  // A local random_device per call: no shared state between targets or threads.
  std::random_device device;
  const std::uint64_t random =
      (static_cast<std::uint64_t>(device()) << 32) ^ static_cast<std::uint64_t>(device());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random));
  std::string name(kTempPrefix);
  name += hex;
  name += '-';
  name += utf8Prefix(finalName, kMaxNameBytes - name.size());
  return name;
}

bool isBookkeepingName(std::string_view name) {
  return name.starts_with(kBookkeepingPrefix);
}

bool isTempName(std::string_view name) {
  return name.starts_with(kTempPrefix);
}

std::string sidecarName(std::string_view fileName) {
  return std::string(kSidecarPrefix) + std::string(fileName) + std::string(kSidecarSuffix);
}

std::string fileOfSidecar(std::string_view name) {
  if (!name.starts_with(kSidecarPrefix) || !name.ends_with(kSidecarSuffix)) return "";
  if (name.size() <= kSidecarPrefix.size() + kSidecarSuffix.size()) return "";
  return std::string(name.substr(kSidecarPrefix.size(),
                                 name.size() - kSidecarPrefix.size() - kSidecarSuffix.size()));
}

}  // namespace dms::common
