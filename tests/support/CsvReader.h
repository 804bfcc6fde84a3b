#pragma once
/// Reads CSV back as a spreadsheet would (RFC 4180): tests of the costs report check that what
/// the plugin writes parses to the same fields and totals.

#include <cstdint>
#include <string>
#include <vector>

namespace dms::test {

/// The records of `text`: fields split on `separator`, quoted fields with doubled quotes (they
/// may hold separators and line breaks), records ended by CRLF. A leading UTF-8 BOM is skipped.
std::vector<std::vector<std::string>> readCsv(const std::string& text, char separator);

/// "1650,40", "1650.40" or "-0.10" in øre; throws std::invalid_argument for anything else
/// (exactly two decimals required: the report always writes them).
std::int64_t oreFromText(const std::string& text);

}  // namespace dms::test
