#pragma once
/// The configuration a module accepts, declared once and used for everything: parsing,
/// validation (`dms-host config check`), defaults, the admin view (secrets masked) and the
/// README's option tables.
///
/// ConfigSchema and ConfigOption are returned by value from a module's configSchema(), so
/// their layout is that of interface 1.0 for every 1.x (host-sdk/README.md, Versioning): what
/// later minors add comes as entries of a new OptionType, never as a new member.

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
  /// Interface 1.1: not an option but an earlier spelling of one (make it with
  /// renamedOption(), read it with renameOf()). Last, so that the values above keep their
  /// 1.0 numbers; a 1.0 host never sees it, as it refuses 1.1 modules.
  RenamedTo,
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

struct ConfigSchema {
  std::vector<ConfigOption> options;
};

/// An earlier spelling of a declared option, still read so that old configurations keep
/// working: its value is moved to `newKey` with a warning naming the new spelling (logged at
/// start and by `config check`); giving both spellings is an error. What a RenamedTo entry
/// says; it is never itself part of a schema.
struct RenamedOption {
  std::string oldKey;  ///< path inside the section, e.g. "retries"
  std::string newKey;  ///< the declared option it now spells, e.g. "maxAttempts"
  /// Added to an integer written under the old key, when the old spelling counted differently
  /// ("retries" were the attempts after the first: maxAttempts = retries + 1).
  long long addToValue = 0;
};

/// The schema entry declaring `oldKey` as an earlier spelling of `newKey`: type RenamedTo,
/// `key` = oldKey, `defaultJson` = {"to":"<newKey>","add":<addToValue>} (exactly this form,
/// without spaces; keys never contain '"' or '\'), not required, not secret.
inline ConfigOption renamedOption(std::string oldKey, const std::string& newKey,
                                  long long addToValue = 0) {
  return {std::move(oldKey),
          OptionType::RenamedTo,
          "{\"to\":\"" + newKey + "\",\"add\":" + std::to_string(addToValue) + "}",
          false,
          false,
          "old spelling of " + newKey};
}

/// True for an entry that declares an earlier spelling rather than an option: every loop over
/// `ConfigSchema::options` that means the options skips these.
inline bool isRenamedOption(const ConfigOption& entry) {
  return entry.type == OptionType::RenamedTo;
}

/// The rename a RenamedTo entry declares; nullopt for any other entry and for one whose
/// `defaultJson` is not in renamedOption()'s form (validators report that as the module's
/// mistake).
inline std::optional<RenamedOption> renameOf(const ConfigOption& entry) {
  if (!isRenamedOption(entry)) return std::nullopt;
  constexpr std::string_view kHead = "{\"to\":\"", kAdd = "\",\"add\":";
  const std::string_view text = entry.defaultJson;
  if (!text.starts_with(kHead) || !text.ends_with('}')) return std::nullopt;
  const std::size_t keyEnd = text.find('"', kHead.size());
  if (keyEnd == std::string_view::npos || keyEnd == kHead.size()) return std::nullopt;
  const std::string_view newKey = text.substr(kHead.size(), keyEnd - kHead.size());
  if (newKey.find('\\') != std::string_view::npos) return std::nullopt;
  if (text.substr(keyEnd, kAdd.size()) != kAdd) return std::nullopt;
  const char* digits = text.data() + keyEnd + kAdd.size();
  const char* end = text.data() + text.size() - 1;  // the closing '}'
  long long add = 0;
  const auto [stop, error] = std::from_chars(digits, end, add);
  if (digits == end || error != std::errc() || stop != end) return std::nullopt;
  return RenamedOption{entry.key, std::string(newKey), add};
}

/// The well-formed renames `schema` declares, in order; a schema of a 1.0 module has none.
inline std::vector<RenamedOption> renamesOf(const ConfigSchema& schema) {
  std::vector<RenamedOption> renames;
  for (const auto& entry : schema.options)
    if (auto rename = renameOf(entry)) renames.push_back(std::move(*rename));
  return renames;
}

}  // namespace dms
