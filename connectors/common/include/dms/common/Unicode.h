#pragma once
/// UTF-8 checks and Unicode NFC normalisation (libutf8proc), shared by every connector.
///
///   auto nfc = dms::common::toNfc(name);          // Result<std::string>
///   if (!nfc) return nfc.error();                   // InvalidArgument: invalid UTF-8
///   dms::common::isValidUtf8(text);                 // bool

#include <string>
#include <string_view>

#include "dms/Error.h"

namespace dms::common {

/// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool isValidUtf8(std::string_view text);

/// `text` in Unicode Normalization Form C. Embedded NUL bytes are kept.
/// Errors: InvalidArgument when `text` is not valid UTF-8 (message names `what`).
Result<std::string> toNfc(std::string_view text, std::string_view what = "text");

}  // namespace dms::common
