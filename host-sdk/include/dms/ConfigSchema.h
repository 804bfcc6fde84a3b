#pragma once
/// The configuration a module accepts, declared once and used for everything: parsing,
/// validation (`dms-host config check`), defaults, the admin view (secrets masked) and the
/// README's option tables.

#include <string>
#include <vector>

namespace dms {

enum class OptionType {
  String,
  Integer,
  Number,
  Boolean,
  StringList,  ///< JSON array of strings
  StringMap,   ///< JSON object whose values are strings (any keys)
  Object,      ///< JSON object with free-form content the module validates itself
};

struct ConfigOption {
  /// Dotted path inside the module's section, e.g. "baseUrl" or "filing.folderTemplate".
  std::string key;
  OptionType type = OptionType::String;
  /// Default as JSON text ("\"https://api.ambita.com\"", "4", "true"); empty = no default.
  std::string defaultJson;
  bool required = false;
  /// Secrets are never printed (admin view, errors, logs); write them as ${ENV_NAME}.
  bool secret = false;
  std::string help;
};

/// An earlier spelling of a declared option, still read so that old configurations keep
/// working: its value is moved to `newKey` with a warning naming the new spelling (logged at
/// start and by `config check`); giving both spellings is an error.
struct RenamedOption {
  std::string oldKey;  ///< path inside the section, e.g. "retries"
  std::string newKey;  ///< the declared option it now spells, e.g. "maxAttempts"
  /// Added to an integer written under the old key, when the old spelling counted differently
  /// ("retries" were the attempts after the first: maxAttempts = retries + 1).
  long long addToValue = 0;
};

struct ConfigSchema {
  std::vector<ConfigOption> options;
  std::vector<RenamedOption> renamed = {};  // "= {}": positional initialisers may omit it
};

}  // namespace dms
