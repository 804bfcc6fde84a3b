#pragma once
/// Checks one configuration section against a module's ConfigSchema: types, required keys,
/// unknown keys; applies defaults; knows which values are secrets.
///
/// Dotted option keys are paths through nested objects ("filing.folderTemplate" is
/// {"filing": {"folderTemplate": ...}}); a JSON key containing a dot is an error naming the
/// nested spelling. StringMap and Object options accept any keys inside.

#include <Poco/JSON/Object.h>

#include <set>
#include <string>
#include <vector>

#include "dms/ConfigSchema.h"
#include "dms/config/ConfigIssue.h"

namespace dms::config {

/// What validating one section gives.
struct ValidatedSection {
  /// The section with defaults applied (a copy; the input is not changed).
  Poco::JSON::Object::Ptr effective;
  ConfigIssues issues;
  /// Key paths (full, e.g. "ambita.clientSecret") of secret options that are set.
  std::vector<std::string> secretPaths;
  /// Their values, index by index (for the logger's masking).
  std::vector<std::string> secretValues;

  bool ok() const;
};

class SchemaValidator {
 public:
  /// `section` may be null (section absent: treated as {}). `prefix` is the section's key
  /// path ("ambita", "target", "" for the top level). `expandedPaths` are the paths whose value
  /// came from ${ENV}: a secret written in the file itself gets a warning.
  static ValidatedSection validate(const Poco::JSON::Object::Ptr& section,
                                   const ConfigSchema& schema, const std::string& prefix,
                                   const std::set<std::string>& expandedPaths = {});

  /// A copy of `effective` with every secret path's value replaced by "********".
  static Poco::JSON::Object::Ptr masked(const Poco::JSON::Object::Ptr& effective,
                                        const std::vector<std::string>& secretPaths,
                                        const std::string& prefix);

  /// "string", "integer", ... as used in messages.
  static std::string typeName(OptionType type);
};

}  // namespace dms::config
