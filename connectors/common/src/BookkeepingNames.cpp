#include "dms/common/BookkeepingNames.h"

#include <cstdint>
#include <cstdio>
#include <random>

#include <sys/random.h>

#include "dms/common/Unicode.h"

namespace dms::common {
namespace {

constexpr std::size_t kMaxNameBytes = 255;

std::uint64_t randomBits() {
  // getrandom(2): no shared state between targets or threads, one cheap system call. A
  // std::random_device per call cost ~24 us here (its constructor probes the CPU with cpuid,
  // which traps to the hypervisor in a virtual machine): a visible share of a small file's put.
  std::uint64_t random = 0;
  if (::getrandom(&random, sizeof random, 0) == static_cast<ssize_t>(sizeof random)) return random;
  std::random_device device;  // getrandom unavailable (seccomp, very old kernel)
  return (static_cast<std::uint64_t>(device()) << 32) ^ static_cast<std::uint64_t>(device());
}

}  // namespace

std::string makeTempName(std::string_view finalName) {
  const std::uint64_t random = randomBits();
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
