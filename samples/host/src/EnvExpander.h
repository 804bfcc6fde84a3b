#pragma once
/// Replaces ${NAME} in every string value of a configuration (whole value or embedded) with
/// the environment variable NAME; this is how secrets stay out of configuration files.

#include <Poco/JSON/Object.h>

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "ConfigIssue.h"

namespace dms::host {

class EnvExpander {
 public:
  /// Looks a variable up; std::nullopt = unset. The default reads the process environment.
  using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

  explicit EnvExpander(Lookup lookup = {});

  /// Expands in place. An unset variable or a malformed reference is an issue naming the key
  /// path and the variable (never the value). Returns the issues.
  ConfigIssues expand(Poco::JSON::Object::Ptr root);

  /// Key paths of the values that contained at least one ${...} reference.
  const std::set<std::string>& expandedPaths() const { return expandedPaths_; }

 private:
  void expandVar(Poco::Dynamic::Var& value, const std::string& path, ConfigIssues& issues);
  std::optional<std::string> expandString(const std::string& text, const std::string& path,
                                          ConfigIssues& issues);

  Lookup lookup_;
  std::set<std::string> expandedPaths_;
};

}  // namespace dms::host
