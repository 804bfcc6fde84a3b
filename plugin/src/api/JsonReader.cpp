#include "api/JsonReader.h"

#include <cctype>
#include <cmath>
#include <limits>

#include <Poco/Exception.h>
#include <Poco/NumberFormatter.h>
#include <Poco/NumberParser.h>

namespace ambita::api {
namespace {

bool isObject(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Object::Ptr);
}
bool isArray(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Array::Ptr);
}

/// What a value is, for messages: "an object", "a string", ...
std::string kindOf(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return "null";
  if (isObject(v)) return "an object";
  if (isArray(v)) return "an array";
  if (v.isBoolean()) return "a boolean";
  if (v.isString()) return "a string";
  if (v.isNumeric()) return "a number";
  return "something else";
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

std::string JsonReader::join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string JsonReader::index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void JsonReader::fail(const std::string& path, const std::string& problem) {
  throw Failure((path.empty() ? std::string("(top level)") : path) + ": " + problem);
}

Poco::JSON::Object::Ptr JsonReader::object(const Poco::Dynamic::Var& v, const std::string& path) {
  if (!isObject(v)) fail(path, "expected an object, got " + kindOf(v));
  return v.extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr JsonReader::array(const Poco::Dynamic::Var& v, const std::string& path) {
  if (!isArray(v)) fail(path, "expected an array, got " + kindOf(v));
  return v.extract<Poco::JSON::Array::Ptr>();
}

Poco::JSON::Array::Ptr JsonReader::optArray(const Poco::JSON::Object& o, const std::string& key,
                                            const std::string& path) {
  if (!o.has(key) || o.isNull(key)) return {};
  return array(o.get(key), join(path, key));
}

std::optional<std::string> JsonReader::optString(const Poco::JSON::Object& o,
                                                 const std::string& key, const std::string& path) {
  if (!o.has(key) || o.isNull(key)) return std::nullopt;
  const Poco::Dynamic::Var v = o.get(key);
  if (v.isString()) return v.extract<std::string>();
  if (v.isNumeric() && !v.isBoolean()) return v.toString();
  fail(join(path, key), "expected a string, got " + kindOf(v));
}

std::string JsonReader::requiredString(const Poco::JSON::Object& o, const std::string& key,
                                       const std::string& path) {
  auto s = optString(o, key, path);
  if (!s) fail(join(path, key), "missing (required string)");
  return *s;
}

std::optional<std::int64_t> JsonReader::optInteger(const Poco::JSON::Object& o,
                                                   const std::string& key,
                                                   const std::string& path) {
  if (!o.has(key) || o.isNull(key)) return std::nullopt;
  const Poco::Dynamic::Var v = o.get(key);
  const std::string where = join(path, key);
  if (v.isString()) {
    const std::string s = trim(v.extract<std::string>());
    Poco::Int64 n = 0;
    if (s.empty() || !Poco::NumberParser::tryParse64(s, n))
      fail(where, "expected an integer, got the string '" + s.substr(0, 40) + "'");
    return n;
  }
  if (v.isNumeric() && !v.isBoolean()) {
    if (v.isInteger()) {
      try {
        return v.convert<Poco::Int64>();
      } catch (const Poco::Exception&) {
        fail(where, "integer out of range");
      }
    }
    const double d = v.convert<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
      return static_cast<std::int64_t>(d);
    fail(where, "expected an integer, got " + v.toString());
  }
  fail(where, "expected an integer, got " + kindOf(v));
}

std::int64_t JsonReader::requiredInteger(const Poco::JSON::Object& o, const std::string& key,
                                         const std::string& path) {
  auto n = optInteger(o, key, path);
  if (!n) fail(join(path, key), "missing (required integer)");
  return *n;
}

std::optional<double> JsonReader::optNumber(const Poco::JSON::Object& o, const std::string& key,
                                            const std::string& path) {
  if (!o.has(key) || o.isNull(key)) return std::nullopt;
  const Poco::Dynamic::Var v = o.get(key);
  const std::string where = join(path, key);
  if (v.isString()) {
    const std::string s = trim(v.extract<std::string>());
    if (s.empty()) return std::nullopt;
    double d = 0;
    if (!Poco::NumberParser::tryParseFloat(s, d) || !std::isfinite(d))
      fail(where, "expected a number, got the string '" + s.substr(0, 40) + "'");
    return d;
  }
  if (v.isNumeric() && !v.isBoolean()) return v.convert<double>();
  fail(where, "expected a number, got " + kindOf(v));
}

CodeName JsonReader::codeName(const Poco::JSON::Object& o, const std::string& key,
                              const std::string& path) {
  if (!o.has(key) || o.isNull(key)) return {};
  const Poco::Dynamic::Var v = o.get(key);
  const std::string where = join(path, key);
  if (isObject(v)) {
    auto obj = v.extract<Poco::JSON::Object::Ptr>();
    return CodeName{optString(*obj, "code", where).value_or(""),
                    optString(*obj, "name", where).value_or("")};
  }
  if (v.isString()) return CodeName{v.extract<std::string>(), ""};
  if (v.isNumeric() && !v.isBoolean()) return CodeName{v.toString(), ""};
  fail(where, "expected a string or an object with \"code\", got " + kindOf(v));
}

}  // namespace ambita::api
