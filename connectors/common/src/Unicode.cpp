#include "dms/common/Unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace dms::common {

std::optional<std::size_t> forEachCodePoint(
    std::string_view text,
    const std::function<bool(char32_t codePoint, std::size_t offset)>& visit) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  std::size_t offset = 0;
  while (remaining > 0) {
    utf8proc_int32_t codepoint = *bytes;
    // An ASCII byte is its own code point: no decoding needed.
    const utf8proc_ssize_t used =
        codepoint < 0x80 ? 1 : utf8proc_iterate(bytes, remaining, &codepoint);
    if (used <= 0 || codepoint < 0) return offset;
    if (!visit(static_cast<char32_t>(codepoint), offset)) return std::nullopt;
    bytes += used;
    remaining -= used;
    offset += static_cast<std::size_t>(used);
  }
  return std::nullopt;
}

bool isAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool isValidUtf8(std::string_view text) {
  if (isAscii(text)) return true;
  return !forEachCodePoint(text, [](char32_t, std::size_t) { return true; });
}

std::string_view utf8Prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a sequence start.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

Result<std::string> toNfc(std::string_view text, std::string_view what) {
  if (isAscii(text)) return std::string(text);  // its own NFC (most names): no utf8proc
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
