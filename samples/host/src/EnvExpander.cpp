#include "EnvExpander.h"

#include <Poco/JSON/Array.h>

#include <cctype>
#include <cstdlib>

namespace dms::host {

namespace {

bool isNameChar(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

std::string childPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

}  // namespace

EnvExpander::EnvExpander(Lookup lookup) : lookup_(std::move(lookup)) {
  if (!lookup_) {
    lookup_ = [](const std::string& name) -> std::optional<std::string> {
      const char* value = std::getenv(name.c_str());
      if (value == nullptr) return std::nullopt;
      return std::string(value);
    };
  }
}

ConfigIssues EnvExpander::expand(Poco::JSON::Object::Ptr root) {
  ConfigIssues issues;
  for (const auto& key : root->getNames()) {
    Poco::Dynamic::Var value = root->get(key);
    expandVar(value, key, issues);
    root->set(key, value);
  }
  return issues;
}

void EnvExpander::expandVar(Poco::Dynamic::Var& value, const std::string& path,
                            ConfigIssues& issues) {
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    for (const auto& key : object->getNames()) {
      Poco::Dynamic::Var child = object->get(key);
      expandVar(child, childPath(path, key), issues);
      object->set(key, child);
    }
  } else if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
    auto array = value.extract<Poco::JSON::Array::Ptr>();
    for (unsigned i = 0; i < array->size(); ++i) {
      Poco::Dynamic::Var child = array->get(i);
      expandVar(child, path + "[" + std::to_string(i) + "]", issues);
      array->set(i, child);
    }
  } else if (value.isString()) {
    const std::string text = value.extract<std::string>();
    if (text.find("${") == std::string::npos) return;
    if (auto expanded = expandString(text, path, issues)) value = *expanded;
  }
}

std::optional<std::string> EnvExpander::expandString(const std::string& text,
                                                     const std::string& path,
                                                     ConfigIssues& issues) {
  expandedPaths_.insert(path);
  std::string result;
  bool ok = true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find("${", pos);
    if (start == std::string::npos) {
      result.append(text, pos);
      break;
    }
    result.append(text, pos, start - pos);
    const std::size_t end = text.find('}', start + 2);
    std::string name =
        end == std::string::npos ? std::string() : text.substr(start + 2, end - start - 2);
    // ${NAME:-fallback}: the fallback when NAME is unset (as in the shell), so that a shipped
    // configuration works out of the box against the sandbox and takes real values from the
    // environment.
    std::optional<std::string> fallback;
    if (const std::size_t dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name.resize(dash);
    }
    bool valid = !name.empty() && isNameChar(name[0], true);
    for (char c : name) valid = valid && isNameChar(c, false);
    if (!valid) {
      issues.push_back({path,
                        "malformed environment reference (write ${NAME} or ${NAME:-default}, "
                        "NAME of letters, digits and '_')"});
      return std::nullopt;
    }
    auto value = lookup_(name);
    if (!value) value = fallback;
    if (!value) {
      issues.push_back({path, "environment variable " + name + " is not set"});
      ok = false;
    } else {
      result += *value;
    }
    pos = end + 1;
  }
  if (!ok) return std::nullopt;
  return result;
}

}  // namespace dms::host
