#include "dms/config/SchemaValidator.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>

namespace dms::config {

namespace {

constexpr const char* kMask = "********";

/// A deep copy (the effective section must never share objects with the caller's input).
Poco::JSON::Object::Ptr deepCopy(const Poco::JSON::Object::Ptr& object) {
  std::ostringstream text;
  object->stringify(text);
  Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
  return parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::string> splitKey(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

bool isObject(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Object::Ptr);
}
bool isArray(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Array::Ptr);
}

/// "got 42", "got \"abc\"", "got an object"; for secrets only the kind, never the value.
std::string describeValue(const Poco::Dynamic::Var& v, bool secret) {
  if (v.isEmpty()) return "got null";
  if (isObject(v)) return "got an object";
  if (isArray(v)) return "got an array";
  if (v.isBoolean()) return secret ? "got a boolean" : "got " + v.convert<std::string>();
  if (v.isNumeric()) return secret ? "got a number" : "got " + v.convert<std::string>();
  if (v.isString()) {
    if (secret) return "got a string";
    std::string text = v.extract<std::string>();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return "got \"" + text + "\"";
  }
  return "got a value of another type";
}

/// Checks one present value; returns the problem or "".
std::string checkType(const Poco::Dynamic::Var& v, OptionType type, bool secret,
                      const std::string& path, ConfigIssues& issues) {
  const std::string expected = "expected " + SchemaValidator::typeName(type) + ", ";
  switch (type) {
    case OptionType::String:
      return v.isString() ? "" : expected + describeValue(v, secret);
    case OptionType::Integer:
      return v.isInteger() && !v.isBoolean() ? "" : expected + describeValue(v, secret);
    case OptionType::Number:
      return v.isNumeric() && !v.isBoolean() ? "" : expected + describeValue(v, secret);
    case OptionType::Boolean:
      return v.isBoolean() ? "" : expected + describeValue(v, secret);
    case OptionType::StringList: {
      if (!isArray(v)) return expected + describeValue(v, secret);
      auto array = v.extract<Poco::JSON::Array::Ptr>();
      for (unsigned i = 0; i < array->size(); ++i)
        if (!array->get(i).isString())
          issues.push_back({path + "[" + std::to_string(i) + "]",
                            "expected a string, " + describeValue(array->get(i), secret)});
      return "";
    }
    case OptionType::StringMap: {
      if (!isObject(v)) return expected + describeValue(v, secret);
      auto object = v.extract<Poco::JSON::Object::Ptr>();
      for (const auto& key : object->getNames())
        if (!object->get(key).isString())
          issues.push_back(
              {path + "." + key, "expected a string, " + describeValue(object->get(key), secret)});
      return "";
    }
    case OptionType::Object:
      return isObject(v) ? "" : expected + describeValue(v, secret);
    case OptionType::RenamedTo:
      break;  // not an option: applied by applyRenames() before the options are checked
  }
  return "";
}

/// The object at `parts[0..n-1]` under `root`, created when `create`; null when absent or
/// when a non-object is in the way (reported once per path).
Poco::JSON::Object::Ptr descend(const Poco::JSON::Object::Ptr& root,
                                const std::vector<std::string>& parts, std::size_t n, bool create,
                                const std::string& prefix, ConfigIssues& issues,
                                std::set<std::string>& reported) {
  Poco::JSON::Object::Ptr node = root;
  std::string path = prefix;
  for (std::size_t i = 0; i < n; ++i) {
    path = join(path, parts[i]);
    if (!node->has(parts[i])) {
      if (!create) return nullptr;
      Poco::JSON::Object::Ptr child(new Poco::JSON::Object(true));
      node->set(parts[i], child);
      node = child;
      continue;
    }
    Poco::Dynamic::Var child = node->get(parts[i]);
    if (!isObject(child)) {
      if (reported.insert(path).second)
        issues.push_back({path, "expected an object, " + describeValue(child, false)});
      return nullptr;
    }
    node = child.extract<Poco::JSON::Object::Ptr>();
  }
  return node;
}

/// Levenshtein distance, case-insensitive (keys are short).
std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      const std::size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

/// `"push": {"secret": ...}` for the key "push.secret": how to write a dotted key nested.
std::string nestedSpelling(const std::string& dottedKey) {
  const auto parts = splitKey(dottedKey);
  std::string text;
  for (const auto& part : parts) text += "\"" + part + "\": {";
  text.resize(text.size() - 1);  // the last part holds the value, not an object
  text += "...";
  text += std::string(parts.size() - 1, '}');
  return text;
}

/// Reports keys that no option declares, and keys written with dots (an option's dotted key is
/// its path, never a JSON key: accepting both spellings would need one rule in every reader);
/// does not descend into options' own values.
void reportUnknown(const Poco::JSON::Object::Ptr& node, const std::string& relative,
                   const std::string& prefix, const std::set<std::string>& options,
                   const std::set<std::string>& branches, ConfigIssues& issues) {
  for (const auto& key : node->getNames()) {
    if (key.find('.') != std::string::npos) {
      issues.push_back({relative.empty() ? prefix : join(prefix, relative),
                        "\"" + key + "\" is not a key; write it nested: " + nestedSpelling(key)});
      continue;
    }
    const std::string rel = relative.empty() ? key : relative + "." + key;
    if (options.count(rel)) continue;
    if (branches.count(rel)) {
      Poco::Dynamic::Var child = node->get(key);
      if (isObject(child))
        reportUnknown(child.extract<Poco::JSON::Object::Ptr>(), rel, prefix, options, branches,
                      issues);
      continue;
    }
    // A near miss is worth naming (typos are the usual cause).
    std::string hint;
    for (const auto& option : options) {
      const auto dot = option.rfind('.');
      const std::string parent = dot == std::string::npos ? "" : option.substr(0, dot);
      const std::string leaf = dot == std::string::npos ? option : option.substr(dot + 1);
      if (parent == relative && !leaf.empty()) {
        if (editDistance(leaf, key) <= 2) hint = " (did you mean '" + join(prefix, option) + "'?)";
      }
    }
    issues.push_back({join(prefix, rel), "unknown key" + hint});
  }
}

/// Moves the value of one old spelling to its new key (warning), or reports both given.
void applyRename(const Poco::JSON::Object::Ptr& effective, const RenamedOption& rename,
                 const std::string& prefix, ConfigIssues& issues, std::set<std::string>& reported) {
  const auto oldParts = splitKey(rename.oldKey);
  const auto newParts = splitKey(rename.newKey);
  const std::string oldPath = join(prefix, rename.oldKey);
  const std::string newPath = join(prefix, rename.newKey);
  auto oldParent =
      descend(effective, oldParts, oldParts.size() - 1, false, prefix, issues, reported);
  if (!oldParent || !oldParent->has(oldParts.back())) return;
  auto newParent =
      descend(effective, newParts, newParts.size() - 1, false, prefix, issues, reported);
  if (newParent && newParent->has(newParts.back())) {
    issues.push_back({oldPath, "old spelling of " + newPath + ", which is given too: remove \"" +
                                   oldParts.back() + "\""});
    oldParent->remove(oldParts.back());
    return;
  }
  Poco::Dynamic::Var value = oldParent->get(oldParts.back());
  oldParent->remove(oldParts.back());
  std::string taken;
  if (rename.addToValue != 0 && value.isInteger() && !value.isBoolean()) {
    // Values near the 64-bit limits are moved unchanged (the module's range refuses them)
    // rather than overflow here.
    std::optional<Poco::Int64> given;
    try {
      given = value.convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
    }
    constexpr Poco::Int64 kSafe = std::numeric_limits<Poco::Int64>::max() / 2;
    if (given && *given > -kSafe && *given < kSafe && std::abs(rename.addToValue) < kSafe) {
      const Poco::Int64 meant = *given + rename.addToValue;
      value = meant;
      taken = " (" + rename.oldKey + " " + std::to_string(*given) + " is " + newParts.back() + " " +
              std::to_string(meant) + ")";
    }
  }
  auto target = descend(effective, newParts, newParts.size() - 1, true, prefix, issues, reported);
  if (target) target->set(newParts.back(), value);
  issues.push_back({oldPath,
                    "renamed to " + newPath + taken +
                        "; the old spelling is still read, but write \"" + newParts.back() +
                        "\" instead",
                    true});
}

/// Applies the schema's old spellings (its RenamedTo entries) in their order; an entry not
/// in the form dms::renamedOption() writes is the module's mistake, reported at its key.
void applyRenames(const Poco::JSON::Object::Ptr& effective, const ConfigSchema& schema,
                  const std::string& prefix, ConfigIssues& issues,
                  std::set<std::string>& reported) {
  for (const auto& entry : schema.options) {
    if (!isRenamedOption(entry)) continue;
    if (const auto rename = renameOf(entry)) {
      applyRename(effective, *rename, prefix, issues, reported);
    } else {
      issues.push_back({join(prefix, entry.key),
                        "the module declares this old spelling as " + entry.defaultJson +
                            ", not as {\"to\":\"<new key>\",\"add\":<integer>}"});
    }
  }
}

}  // namespace

bool ValidatedSection::ok() const {
  return std::none_of(issues.begin(), issues.end(), [](const auto& i) { return !i.warning; });
}

std::string SchemaValidator::typeName(OptionType type) {
  switch (type) {
    case OptionType::String:
      return "a string";
    case OptionType::Integer:
      return "an integer";
    case OptionType::Number:
      return "a number";
    case OptionType::Boolean:
      return "a boolean";
    case OptionType::StringList:
      return "a list of strings";
    case OptionType::StringMap:
      return "an object of strings";
    case OptionType::Object:
      return "an object";
    case OptionType::RenamedTo:
      return "an old spelling of another option";
  }
  return "a value";
}

ValidatedSection SchemaValidator::validate(const Poco::JSON::Object::Ptr& section,
                                           const ConfigSchema& schema, const std::string& prefix,
                                           const std::set<std::string>& expandedPaths) {
  ValidatedSection result;
  result.effective =
      section ? deepCopy(section) : Poco::JSON::Object::Ptr(new Poco::JSON::Object(true));
  std::set<std::string> reported;
  std::set<std::string> options;
  std::set<std::string> branches;
  applyRenames(result.effective, schema, prefix, result.issues, reported);

  for (const auto& option : schema.options) {
    if (isRenamedOption(option)) continue;  // moved to its new key by applyRenames()
    options.insert(option.key);
    const auto parts = splitKey(option.key);
    for (std::size_t i = 1; i < parts.size(); ++i) {
      std::string branch = parts[0];
      for (std::size_t j = 1; j < i; ++j) branch += "." + parts[j];
      branches.insert(branch);
    }
    const std::string path = join(prefix, option.key);

    auto parent =
        descend(result.effective, parts, parts.size() - 1, false, prefix, result.issues, reported);
    const bool present = parent && parent->has(parts.back());
    // Absent, or blocked by a non-object parent (reported by descend, and then the default
    // cannot be placed either).
    if (!present) {
      if (!option.defaultJson.empty()) {
        try {
          // Poco's parser wants a container at the top: wrap the default in an array.
          Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
          Poco::Dynamic::Var wrapped = parser.parse("[" + option.defaultJson + "]");
          auto array = wrapped.extract<Poco::JSON::Array::Ptr>();
          if (array->size() != 1) throw Poco::SyntaxException("not a single value");
          Poco::Dynamic::Var value = array->get(0);
          auto target = descend(result.effective, parts, parts.size() - 1, true, prefix,
                                result.issues, reported);
          if (target) target->set(parts.back(), value);
        } catch (const Poco::Exception& e) {
          result.issues.push_back(
              {path, "the module's default is not valid JSON (" + e.displayText() + ")"});
        }
      } else if (option.required) {
        std::string help = option.help.empty() ? "" : " (" + option.help + ")";
        result.issues.push_back(
            {path, "required option is missing: expected " + typeName(option.type) + help});
      }
      continue;
    }

    Poco::Dynamic::Var value = parent->get(parts.back());
    const std::string problem = checkType(value, option.type, option.secret, path, result.issues);
    if (!problem.empty()) {
      result.issues.push_back({path, problem});
      continue;
    }
    if (option.secret && !value.isEmpty()) {
      result.secretPaths.push_back(path);
      const std::string text = value.convert<std::string>();
      result.secretValues.push_back(text);  // same index as its path
      if (!expandedPaths.count(path) && !text.empty())
        result.issues.push_back(
            {path, "secret written in the file itself; prefer a ${ENV_NAME} reference", true});
    }
  }

  reportUnknown(result.effective, "", prefix, options, branches, result.issues);
  return result;
}

Poco::JSON::Object::Ptr SchemaValidator::masked(const Poco::JSON::Object::Ptr& effective,
                                                const std::vector<std::string>& secretPaths,
                                                const std::string& prefix) {
  auto copy = deepCopy(effective);
  for (const auto& full : secretPaths) {
    std::string relative = full;
    if (!prefix.empty()) {
      if (!full.starts_with(prefix + ".")) continue;
      relative = full.substr(prefix.size() + 1);
    }
    const auto parts = splitKey(relative);
    Poco::JSON::Object::Ptr node = copy;
    for (std::size_t i = 0; node && i + 1 < parts.size(); ++i) {
      if (!node->has(parts[i]) || !isObject(node->get(parts[i]))) {
        node = nullptr;
        break;
      }
      node = node->get(parts[i]).extract<Poco::JSON::Object::Ptr>();
    }
    if (node && node->has(parts.back())) node->set(parts.back(), std::string(kMask));
  }
  return copy;
}

}  // namespace dms::config
