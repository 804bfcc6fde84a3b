#include "support/CsvReader.h"

#include <stdexcept>

namespace dms::test {

std::vector<std::vector<std::string>> readCsv(const std::string& input, char separator) {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string text = input.rfind(bom, 0) == 0 ? input.substr(bom.size()) : input;
  std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    auto& field = records.back().back();
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == separator) {
      records.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      records.emplace_back(1);
    } else {
      field += c;
    }
  }
  if (records.back().size() == 1 && records.back()[0].empty()) records.pop_back();
  return records;
}

std::int64_t oreFromText(const std::string& input) {
  std::string text = input;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.erase(0, 1);
  const auto mark = text.find_first_of(".,");
  if (mark == std::string::npos || mark == 0 || text.size() - mark != 3 ||
      text.find_first_not_of("0123456789", 0) != mark ||
      text.find_first_not_of("0123456789", mark + 1) != std::string::npos)
    throw std::invalid_argument("not an amount with two decimals: '" + input + "'");
  const std::int64_t value =
      std::stoll(text.substr(0, mark)) * 100 + std::stoll(text.substr(mark + 1));
  return negative ? -value : value;
}

}  // namespace dms::test
