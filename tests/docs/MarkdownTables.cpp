#include "MarkdownTables.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dms::test {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

/// The cells of "| a | b \| c |": {"a", "b | c"}.
std::vector<std::string> cellsOf(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(trim(cell));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

bool isSeparator(const std::vector<std::string>& cells) {
  return std::all_of(cells.begin(), cells.end(), [](const std::string& c) {
    return !c.empty() && c.find_first_not_of("-: ") == std::string::npos;
  });
}

}  // namespace

int MarkdownTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

std::string readText(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<MarkdownTable> tablesIn(const std::string& markdown) {
  std::vector<MarkdownTable> tables;
  std::istringstream lines(markdown);
  std::string line;
  MarkdownTable* open = nullptr;
  while (std::getline(lines, line)) {
    if (!line.starts_with("|")) {
      open = nullptr;
      continue;
    }
    auto cells = cellsOf(line);
    if (!open) {
      tables.emplace_back();
      open = &tables.back();
      for (auto& cell : cells) {
        std::transform(cell.begin(), cell.end(), cell.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        open->header.push_back(cell);
      }
    } else if (!isSeparator(cells)) {
      open->rows.push_back(std::move(cells));
    }
  }
  return tables;
}

std::vector<std::string> codeSpans(const std::string& text) {
  std::vector<std::string> spans;
  for (auto open = text.find('`'); open != std::string::npos; open = text.find('`', open)) {
    const auto close = text.find('`', open + 1);
    if (close == std::string::npos) break;
    spans.push_back(text.substr(open + 1, close - open - 1));
    open = close + 1;
  }
  return spans;
}

std::string section(const std::string& markdown, const std::string& title) {
  const std::string heading = "\n## " + title + "\n";
  const auto start = markdown.find(heading);
  if (start == std::string::npos) return {};
  const auto end = markdown.find("\n## ", start + heading.size());
  return markdown.substr(start + 1, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace dms::test
