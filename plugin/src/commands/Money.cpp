#include "commands/Money.h"

#include <charconv>
#include <cmath>

namespace ambita::commands {
namespace {

dms::Error badAmount(const std::string& path, std::string_view text, const std::string& why) {
  return dms::fail(dms::ErrorCode::InvalidArgument,
                   path + ": expected an amount in NOK (e.g. 1650.40), got '" + std::string(text) +
                       "' (" + why + ")");
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

dms::Result<std::int64_t> parseOre(std::string_view text, const std::string& path) {
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return badAmount(path, text, "no digits");
  for (char c : whole)
    if (!isDigit(c)) return badAmount(path, text, "not a decimal number");
  for (char c : fraction)
    if (!isDigit(c)) return badAmount(path, text, "not a decimal number");
  for (std::size_t i = 2; i < fraction.size(); ++i)
    if (fraction[i] != '0') return badAmount(path, text, "more than 2 decimals");
  // 12 digits of kroner (under 10^14 øre) keep sums and the 25 % VAT arithmetic
  // (grossWithStandardVat multiplies by 125) far from int64 overflow.
  std::size_t firstSignificant = whole.find_first_not_of('0');
  if (firstSignificant != std::string_view::npos && whole.size() - firstSignificant > 12)
    return badAmount(path, text, "too large");
  std::int64_t ore = 0;
  for (char c : whole) ore = ore * 10 + (c - '0');
  for (std::size_t i = 0; i < 2; ++i)
    ore = ore * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return negative ? -ore : ore;
}

dms::Result<std::int64_t> parseOre(const Poco::Dynamic::Var& value, const std::string& path) {
  if (value.isString()) return parseOre(std::string_view(value.extract<std::string>()), path);
  if (value.isNumeric() && !value.isEmpty()) {
    if (value.isInteger()) return parseOre(std::string_view(value.toString()), path);
    const double number = value.convert<double>();
    if (!std::isfinite(number)) return badAmount(path, value.toString(), "not finite");
    // The shortest decimal that reads back as this double is what the JSON text said.
    char buffer[400];
    const auto written =
        std::to_chars(buffer, buffer + sizeof buffer, number, std::chars_format::fixed);
    if (written.ec != std::errc()) return badAmount(path, value.toString(), "too large");
    return parseOre(std::string_view(buffer, static_cast<std::size_t>(written.ptr - buffer)), path);
  }
  return dms::fail(dms::ErrorCode::InvalidArgument,
                   path + ": expected an amount in NOK (a number or a numeric string)");
}

std::string formatNok(std::int64_t ore) {
  const bool negative = ore < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(ore + 1)) + 1 : static_cast<std::uint64_t>(ore);
  std::string cents = std::to_string(magnitude % 100);
  if (cents.size() < 2) cents.insert(0, "0");
  return (negative ? "-" : "") + std::to_string(magnitude / 100) + "." + cents;
}

std::int64_t grossWithStandardVat(std::int64_t netOre) {
  const std::int64_t times125 = netOre * 125;
  return (times125 >= 0 ? times125 + 50 : times125 - 50) / 100;
}

}  // namespace ambita::commands
