#pragma once
/// One problem found in a configuration section, always tied to a key path.

#include <string>
#include <vector>

namespace dms::config {

struct ConfigIssue {
  /// Dotted key path, e.g. "ambita.baseUrl", "target.connector", "ambita.tags[2]"; "" = file.
  std::string path;
  std::string message;
  /// Warnings are printed but do not fail `config check`.
  bool warning = false;

  /// "ambita.baseUrl: expected a string, got 42"
  std::string describe() const { return path.empty() ? message : path + ": " + message; }
};

using ConfigIssues = std::vector<ConfigIssue>;

}  // namespace dms::config
