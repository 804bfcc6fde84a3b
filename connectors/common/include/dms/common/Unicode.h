#pragma once
/// UTF-8 checks, the one walk over code points, cutting without splitting a sequence, and
/// Unicode NFC normalisation (libutf8proc), shared by every connector.
///
///   auto nfc = dms::common::toNfc(name);          // Result<std::string>
///   if (!nfc) return nfc.error();                   // InvalidArgument: invalid UTF-8
///   dms::common::isValidUtf8(text);                 // bool

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "dms/Error.h"

namespace dms::common {

/// True if every byte of `text` is ASCII (below 0x80): such text is valid UTF-8 and its own
/// NFC, so the checks below answer it without decoding.
bool isAscii(std::string_view text);

/// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool isValidUtf8(std::string_view text);

/// Calls `visit(codePoint, byteOffset)` for each code point of `text` in order, until it
/// returns false. Returns the byte offset of the first sequence that is not valid UTF-8, or
/// nullopt when there is none (or `visit` stopped before reaching one).
std::optional<std::size_t> forEachCodePoint(
    std::string_view text,
    const std::function<bool(char32_t codePoint, std::size_t offset)>& visit);

/// Longest prefix of `text` of at most `limit` bytes that does not cut a UTF-8 sequence.
std::string_view utf8Prefix(std::string_view text, std::size_t limit);

/// `text` in Unicode Normalization Form C. Embedded NUL bytes are kept.
/// Errors: InvalidArgument when `text` is not valid UTF-8 (message names `what`).
Result<std::string> toNfc(std::string_view text, std::string_view what = "text");

}  // namespace dms::common
