#include "dms/common/MetadataRules.h"

#include <string>

#include "dms/common/PathRules.h"
#include "dms/common/Unicode.h"

namespace dms::common {

Status validateMetadataKey(std::string_view key, std::string_view path) {
  // Built only for an error: this runs for every key of every file put.
  const auto where = [&] { return " (metadata of " + quotePath(path) + ")"; };
  if (key.empty()) return fail(ErrorCode::InvalidArgument, "empty metadata key" + where());
  if (key.size() > kMaxMetadataKeyBytes) {
    return fail(ErrorCode::InvalidArgument,
                "metadata key " + quotePath(key.substr(0, 32)) + "... is longer than " +
                    std::to_string(kMaxMetadataKeyBytes) + " bytes" + where());
  }
  for (const char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return fail(ErrorCode::InvalidArgument,
                  "metadata key " + quotePath(key) + " may only hold A-Z a-z 0-9 . _ -" + where());
    }
  }
  return {};
}

Status validateMetadata(const Metadata& metadata, std::string_view path) {
  for (const auto& [key, value] : metadata) {
    if (auto ok = validateMetadataKey(key, path); !ok) return ok;
    if (!isValidUtf8(value) || value.find('\0') != std::string::npos) {
      return fail(ErrorCode::InvalidArgument, "value of metadata key " + quotePath(key) + " of " +
                                                  quotePath(path) +
                                                  " is not UTF-8 text without NUL");
    }
  }
  return {};
}

}  // namespace dms::common
