#include "dms/config/OptionReader.h"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "dms/config/SchemaValidator.h"

namespace dms::config {
namespace {

std::string withPrefix(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

/// "10", "0.05": a range bound as people write it.
std::string formatBound(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

Result<OptionReader> OptionReader::parse(const std::string& json, const ConfigSchema& schema,
                                         const std::string& prefix,
                                         const std::set<std::string>& hostKeys) {
  const std::string where = prefix.empty() ? "configuration" : prefix;
  if (json.find_first_not_of(" \t\r\n") == std::string::npos)
    return read(Poco::JSON::Object::Ptr(new Poco::JSON::Object(true)), schema, prefix, hostKeys);
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    const Poco::Dynamic::Var root = parser.parse(json);
    if (root.type() != typeid(Poco::JSON::Object::Ptr))
      return fail(ErrorCode::InvalidArgument, where + ": expected an object");
    return read(root.extract<Poco::JSON::Object::Ptr>(), schema, prefix, hostKeys);
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument,
                where + ": not a JSON object (" + e.displayText() + ")");
  }
}

Result<OptionReader> OptionReader::read(const Poco::JSON::Object::Ptr& section,
                                        const ConfigSchema& schema, const std::string& prefix,
                                        const std::set<std::string>& hostKeys) {
  ConfigSchema checked = schema;
  for (const auto& key : hostKeys)
    checked.options.push_back({key, OptionType::String, "", false, false, "set by the host"});
  // Where a value came from (the file or ${ENV}) is the host's business: no warning about
  // secrets written in the file here.
  std::set<std::string> secretPaths;
  for (const auto& option : checked.options)
    if (option.secret) secretPaths.insert(withPrefix(prefix, option.key));

  ValidatedSection validated = SchemaValidator::validate(section, checked, prefix, secretPaths);
  OptionReader reader;
  for (const auto& issue : validated.issues) {
    if (!issue.warning) return fail(ErrorCode::InvalidArgument, issue.describe());
    reader.warnings_.push_back(issue.describe());
  }
  reader.schema_ = schema;
  reader.prefix_ = prefix;
  reader.effective_ = validated.effective;
  // JSON integers beyond 64 bits pass the type check; refuse them here so that integer()
  // never throws on input.
  for (const auto& option : schema.options) {
    if (option.type != OptionType::Integer) continue;
    try {
      const auto given = reader.value(option.key);
      if (!given.isEmpty()) (void)given.convert<long long>();
    } catch (const Poco::Exception&) {
      return reader.invalid(option.key, "expected an integer, got one too large");
    }
  }
  return reader;
}

const ConfigOption& OptionReader::declared(const std::string& key, OptionType type) const {
  for (const auto& option : schema_.options) {
    if (option.key != key || isRenamedOption(option)) continue;  // an old spelling is no option
    if (option.type != type)
      throw std::logic_error(path(key) + " is declared as " +
                             SchemaValidator::typeName(option.type) + ", read as " +
                             SchemaValidator::typeName(type));
    return option;
  }
  throw std::logic_error(path(key) + " is read but not declared in the module's schema");
}

Poco::Dynamic::Var OptionReader::value(const std::string& key) const {
  Poco::JSON::Object::Ptr node = effective_;
  std::size_t start = 0;
  for (auto dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
    node = node->getObject(key.substr(start, dot - start));
    if (!node) return {};
    start = dot + 1;
  }
  const std::string leaf = key.substr(start);
  return node->has(leaf) ? node->get(leaf) : Poco::Dynamic::Var();
}

std::string OptionReader::string(const std::string& key) const {
  declared(key, OptionType::String);
  const auto v = value(key);
  return v.isEmpty() ? std::string() : v.extract<std::string>();
}

long long OptionReader::integer(const std::string& key) const {
  declared(key, OptionType::Integer);
  const auto v = value(key);
  return v.isEmpty() ? 0 : v.convert<long long>();
}

double OptionReader::number(const std::string& key) const {
  declared(key, OptionType::Number);
  const auto v = value(key);
  return v.isEmpty() ? 0.0 : v.convert<double>();
}

bool OptionReader::boolean(const std::string& key) const {
  declared(key, OptionType::Boolean);
  const auto v = value(key);
  return v.isEmpty() ? false : v.extract<bool>();
}

std::map<std::string, std::string> OptionReader::stringMap(const std::string& key) const {
  declared(key, OptionType::StringMap);
  std::map<std::string, std::string> result;
  const auto v = value(key);
  if (v.isEmpty()) return result;
  for (const auto& [name, item] : *v.extract<Poco::JSON::Object::Ptr>())
    result[name] = item.extract<std::string>();
  return result;
}

Result<long long> OptionReader::integerIn(const std::string& key, long long min,
                                          long long max) const {
  const long long n = integer(key);
  if (n < min || n > max)
    return invalid(key, "expected an integer between " + std::to_string(min) + " and " +
                            std::to_string(max) + ", got " + std::to_string(n));
  return n;
}

Result<double> OptionReader::numberIn(const std::string& key, double min, double max) const {
  const double n = number(key);
  if (!std::isfinite(n) || n < min || n > max)
    return invalid(key, "expected a number between " + formatBound(min) + " and " +
                            formatBound(max) + ", got " + formatBound(n));
  return n;
}

std::string OptionReader::path(const std::string& key) const {
  return withPrefix(prefix_, key);
}

Error OptionReader::invalid(const std::string& key, const std::string& what) const {
  return fail(ErrorCode::InvalidArgument, path(key) + ": " + what);
}

}  // namespace dms::config
