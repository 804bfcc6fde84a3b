#pragma once
/// Just enough Markdown for the README tests: a file's text, its tables (cells trimmed, `\|`
/// kept as `|`), the `code` spans of a cell, and one "## " section.

#include <filesystem>
#include <string>
#include <vector>

namespace dms::test {

struct MarkdownTable {
  std::vector<std::string> header;  ///< lower-cased
  std::vector<std::vector<std::string>> rows;

  /// Index of the header cell `name` (lower case), or -1.
  int column(const std::string& name) const;
};

std::string readText(const std::filesystem::path& file);
std::vector<MarkdownTable> tablesIn(const std::string& markdown);
/// The text of `code` spans, in order.
std::vector<std::string> codeSpans(const std::string& text);
/// From the line "## <title>" to the next "## " heading (empty when absent).
std::string section(const std::string& markdown, const std::string& title);

}  // namespace dms::test
