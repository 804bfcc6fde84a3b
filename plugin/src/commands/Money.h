#pragma once
/// Money as Ambita writes it (NOK, as JSON numbers or numeric strings) held exactly, in integer
/// øre: sums and comparisons of prices must never drift as binary floating point would.

#include <cstdint>
#include <string>
#include <string_view>

#include <Poco/Dynamic/Var.h>

#include "dms/Error.h"

namespace ambita::commands {

/// "123.5" → 12350, "2063" → 206300, "-10.00" → -1000; spaces around are allowed; at most 12
/// digits of kroner (so sums and VAT arithmetic cannot overflow). More than
/// two decimals are accepted only when the extra ones are zeros ("1.250" → 125). Anything else
/// is InvalidArgument naming `path` (the JSON path or flag) and the text.
dms::Result<std::int64_t> parseOre(std::string_view text, const std::string& path);

/// The same for a JSON value: a number (taken by its shortest decimal spelling, so 1650.4 is
/// 165040 øre) or a numeric string. Other types are InvalidArgument naming `path`.
dms::Result<std::int64_t> parseOre(const Poco::Dynamic::Var& value, const std::string& path);

/// 165040 → "1650.40" (NOK with two decimals, no thousands separator).
std::string formatNok(std::int64_t ore);

/// Gross from net at Norway's 25 % VAT, rounded to the nearest øre (half up): for prices
/// that come without their VAT.
std::int64_t grossWithStandardVat(std::int64_t netOre);

}  // namespace ambita::commands
