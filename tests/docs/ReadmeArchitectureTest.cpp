// README.md's "Architecture" section is where a newcomer learns where things are: every path
// it names must exist (issue 8). Checked: `code spans` that look like repository paths, and
// the folder tree of its code blocks (a line's first word ending in "/" is a folder below the
// less indented folder above it; words naming a file (.h, .cpp, .json, .md, .sh) or a
// sub-folder ("bench/") in a line's description are looked up in that line's folder).
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "MarkdownTables.h"

namespace dms::test {
namespace {

const std::filesystem::path kSource = DMS_SOURCE_DIR;

const std::regex kFolder(R"(^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$)");
const std::regex kFile(R"(^[A-Za-z0-9_./-]+\.(h|cpp|json|md|sh|txt)$)");

/// "(sandbox.json," -> "sandbox.json"
std::string word(std::string token) {
  const std::string punctuation = "(),;:";
  while (!token.empty() && punctuation.find(token.front()) != std::string::npos) token.erase(0, 1);
  while (!token.empty() && punctuation.find(token.back()) != std::string::npos) token.pop_back();
  return token;
}

/// The paths the code blocks' folder trees name, relative to the repository.
std::vector<std::string> treePaths(const std::string& text) {
  std::vector<std::string> paths;
  std::vector<std::pair<std::size_t, std::string>> folders;  // (indent, path) from the root
  bool inCode = false;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("```")) {
      inCode = !inCode;
      folders.clear();
      continue;
    }
    if (!inCode) continue;
    const auto indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) continue;
    std::istringstream tokens(line.substr(indent));
    std::string first;
    tokens >> first;
    std::string current = folders.empty() ? "" : folders.back().second;
    if (std::regex_match(first, kFolder)) {
      while (!folders.empty() && folders.back().first >= indent) folders.pop_back();
      current = (folders.empty() ? "" : folders.back().second) + first;
      folders.emplace_back(indent, current);
      paths.push_back(current);
    } else {
      tokens.clear();
      tokens.str(line.substr(indent));  // a continuation line: every word is a description
    }
    for (std::string token; tokens >> token;) {
      token = word(token);
      if (std::regex_match(token, kFile) || std::regex_match(token, kFolder))
        paths.push_back(current + token);
    }
  }
  return paths;
}

TEST(ReadmeArchitecture, EveryPathItNamesExists) {
  const std::string architecture = section(readText(kSource / "README.md"), "Architecture");
  ASSERT_FALSE(architecture.empty()) << "README.md has no \"## Architecture\" section";

  std::vector<std::string> paths = treePaths(architecture);
  // Code spans outside the code blocks that look like paths: "`plugin/src/filing/Reconciler.cpp`".
  std::string prose;
  bool inCode = false;
  std::istringstream lines(architecture);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("```"))
      inCode = !inCode;
    else if (!inCode)
      prose += line + "\n";
  }
  for (const auto& span : codeSpans(prose)) {
    const bool pathLike = span.find('/') != std::string::npos || std::regex_match(span, kFile);
    if (pathLike && span.find_first_of(" *{$") == std::string::npos && !span.starts_with("/") &&
        span.find("::") == std::string::npos)
      paths.push_back(span);
  }

  ASSERT_GE(paths.size(), 10u) << "the section names hardly any path; is the parser broken?";
  for (const auto& path : paths)
    EXPECT_TRUE(std::filesystem::exists(kSource / path))
        << "README.md's architecture section names " << path << ", which does not exist";
}

// The parser above, on a tree with a wrong path: the test can fail.
TEST(ReadmeArchitecture, TreeParserFindsNestedFoldersAndFiles) {
  const auto paths = treePaths(
      "```\nhost-sdk/   the interface\n  include/dms/   Plugin.h Error.h\n"
      "               Logger.h\nplugin/   the plugin\n  src/api/   client (see notes/)\n```\n");
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "host-sdk/", "host-sdk/include/dms/", "host-sdk/include/dms/Plugin.h",
                       "host-sdk/include/dms/Error.h", "host-sdk/include/dms/Logger.h", "plugin/",
                       "plugin/src/api/", "plugin/src/api/notes/"}));
}

}  // namespace
}  // namespace dms::test
