#include "dms/common/Unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace dms::common {

bool isValidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t codepoint = 0;
    const utf8proc_ssize_t used = utf8proc_iterate(bytes, remaining, &codepoint);
    if (used <= 0 || codepoint < 0) return false;
    bytes += used;
    remaining -= used;
  }
  return true;
}

Result<std::string> toNfc(std::string_view text, std::string_view what) {
  if (text.empty()) return std::string();
  // utf8proc_map without UTF8PROC_NULLTERM takes the explicit length, so embedded NULs
  // survive (callers reject them with a better message than "invalid UTF-8").
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &mapped,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
  if (length < 0) {
    return fail(ErrorCode::InvalidArgument,
                std::string(what) + " is not valid UTF-8 (" +
                    utf8proc_errmsg(static_cast<utf8proc_ssize_t>(length)) + ")");
  }
  return std::string(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(length));
}

}  // namespace dms::common
