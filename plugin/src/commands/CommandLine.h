#pragma once
/// The small argument parser the plugin's commands share: `--flag value` (or `--flag=value`)
/// options and boolean switches, with usage errors that name the flag.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace ambita::commands {

class CommandLine {
 public:
  /// valueFlags take a value; switches do not; repeatable value flags may be given more than
  /// once (all values kept in order); up to `maxPositionals` arguments that do not start with
  /// "--" are kept in order (positionals()). Anything else is a usage problem (see
  /// ok()/problem()).
  CommandLine(const std::vector<std::string>& args, const std::set<std::string>& valueFlags,
              const std::set<std::string>& switches, const std::set<std::string>& repeatable = {},
              std::size_t maxPositionals = 0);

  bool ok() const { return problem_.empty(); }
  /// e.g. "unknown option --foo", "--product needs a value", "--reference given twice".
  const std::string& problem() const { return problem_; }

  std::optional<std::string> single(const std::string& flag) const;
  std::vector<std::string> all(const std::string& flag) const;
  bool flag(const std::string& name) const { return switchesSet_.count(name) > 0; }
  const std::vector<std::string>& positionals() const { return positionals_; }

  /// Writes "<problem>\nusage: <usage>" to err and returns 2 (the exit code for bad usage).
  static int usageError(std::ostream& err, const std::string& problem, const std::string& usage);
  /// Number of code points of UTF-8 text: the width of a table column holding it.
  static std::size_t displayWidth(const std::string& utf8);
  /// `text` with control characters (newlines, tabs, escapes) replaced by spaces.
  static std::string oneLine(std::string text);
  /// A positive decimal id (order id, limit) of at most 18 digits, or nullopt.
  static std::optional<std::int64_t> positiveId(const std::string& text);

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> switchesSet_;
  std::vector<std::string> positionals_;
  std::string problem_;
};

}  // namespace ambita::commands
