#include "api/JsonReader.h"

#include <cctype>
#include <cmath>
#include <limits>

#include <Poco/NumberParser.h>

namespace ambita::api {
namespace {

using Kind = JsonReader::Value::Kind;

bool isObject(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Object::Ptr);
}
bool isArray(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Array::Ptr);
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool isNumber(const JsonReader::Value& v) {
  return v.kind == Kind::Integer || v.kind == Kind::Unsigned || v.kind == Kind::Double;
}

/// A number's text as Poco's Dynamic::Var writes it (what these messages and values said
/// before the streaming reader: its doubles keep their formatting).
std::string numberText(const JsonReader::Value& v) {
  if (v.kind == Kind::Integer) return std::to_string(v.integer);
  if (v.kind == Kind::Unsigned) return std::to_string(v.unsignedInteger);
  return Poco::Dynamic::Var(v.real).toString();
}

double numberValue(const JsonReader::Value& v) {
  if (v.kind == Kind::Integer) return static_cast<double>(v.integer);
  if (v.kind == Kind::Unsigned) return static_cast<double>(v.unsignedInteger);
  return v.real;
}

/// `key` of the object at `path`, as a message names it.
std::string where(const JsonReader::Path& path, std::string_view key) {
  return JsonReader::join(path(), key);
}

JsonReader::Path fixed(const std::string& path) {
  return [&path] { return path; };
}

JsonReader::Value field(const Poco::JSON::Object& o, const std::string& key) {
  if (!o.has(key)) return {};
  return JsonReader::valueOf(o.get(key));
}

}  // namespace

std::string JsonReader::join(const std::string& path, std::string_view key) {
  std::string out = path;
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string JsonReader::index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void JsonReader::fail(const std::string& path, const std::string& problem) {
  throw Failure((path.empty() ? std::string("(top level)") : path) + ": " + problem);
}

std::string JsonReader::kindOf(const Value& v) {
  switch (v.kind) {
    case Kind::Absent:
    case Kind::Null:
      return "null";
    case Kind::Object:
      return "an object";
    case Kind::Array:
      return "an array";
    case Kind::Boolean:
      return "a boolean";
    case Kind::String:
      return "a string";
    case Kind::Integer:
    case Kind::Unsigned:
    case Kind::Double:
      return "a number";
    case Kind::Other:
      break;
  }
  return "something else";
}

JsonReader::Value JsonReader::valueOf(const Poco::Dynamic::Var& v) {
  Value out;
  if (v.isEmpty()) {
    out.kind = Kind::Null;
  } else if (isObject(v)) {
    out.kind = Kind::Object;
  } else if (isArray(v)) {
    out.kind = Kind::Array;
  } else if (v.isBoolean()) {
    out.kind = Kind::Boolean;
  } else if (v.isString()) {
    out.kind = Kind::String;
    out.text = v.extract<std::string>();
  } else if (v.isNumeric() && v.isInteger() && v.isSigned()) {
    out.kind = Kind::Integer;
    out.integer = v.convert<Poco::Int64>();
  } else if (v.isNumeric() && v.isInteger()) {
    out.kind = Kind::Unsigned;
    out.unsignedInteger = v.convert<Poco::UInt64>();
  } else if (v.isNumeric()) {
    out.kind = Kind::Double;
    out.real = v.convert<double>();
  } else {
    out.kind = Kind::Other;
  }
  return out;
}

std::optional<std::string> JsonReader::optString(Value v, const Path& path, std::string_view key) {
  if (v.missing()) return std::nullopt;
  if (v.kind == Kind::String) return std::move(v.text);
  if (isNumber(v)) return numberText(v);
  fail(where(path, key), "expected a string, got " + kindOf(v));
}

std::string JsonReader::requiredString(Value v, const Path& path, std::string_view key) {
  auto s = optString(std::move(v), path, key);
  if (!s) fail(where(path, key), "missing (required string)");
  return std::move(*s);
}

std::optional<std::int64_t> JsonReader::optInteger(const Value& v, const Path& path,
                                                   std::string_view key) {
  if (v.missing()) return std::nullopt;
  if (v.kind == Kind::String) {
    const std::string s = trim(v.text);
    Poco::Int64 n = 0;
    if (s.empty() || !Poco::NumberParser::tryParse64(s, n))
      fail(where(path, key), "expected an integer, got the string '" + s.substr(0, 40) + "'");
    return n;
  }
  if (v.kind == Kind::Integer) return v.integer;
  if (v.kind == Kind::Unsigned) {
    if (v.unsignedInteger > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(where(path, key), "integer out of range");
    return static_cast<std::int64_t>(v.unsignedInteger);
  }
  if (v.kind == Kind::Double) {
    const double d = v.real;
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
      return static_cast<std::int64_t>(d);
    fail(where(path, key), "expected an integer, got " + numberText(v));
  }
  fail(where(path, key), "expected an integer, got " + kindOf(v));
}

std::int64_t JsonReader::requiredInteger(const Value& v, const Path& path, std::string_view key) {
  auto n = optInteger(v, path, key);
  if (!n) fail(where(path, key), "missing (required integer)");
  return *n;
}

std::optional<double> JsonReader::optNumber(const Value& v, const Path& path,
                                            std::string_view key) {
  if (v.missing()) return std::nullopt;
  if (v.kind == Kind::String) {
    const std::string s = trim(v.text);
    if (s.empty()) return std::nullopt;
    double d = 0;
    if (!Poco::NumberParser::tryParseFloat(s, d) || !std::isfinite(d))
      fail(where(path, key), "expected a number, got the string '" + s.substr(0, 40) + "'");
    return d;
  }
  if (isNumber(v)) return numberValue(v);
  fail(where(path, key), "expected a number, got " + kindOf(v));
}

CodeName JsonReader::codeName(Value v, Value code, Value name, const Path& path,
                              std::string_view key) {
  if (v.missing()) return {};
  if (v.kind == Kind::Object) {
    const Path inner = [&] { return where(path, key); };
    return CodeName{optString(std::move(code), inner, "code").value_or(""),
                    optString(std::move(name), inner, "name").value_or("")};
  }
  if (v.kind == Kind::String) return CodeName{std::move(v.text), ""};
  if (isNumber(v)) return CodeName{numberText(v), ""};
  fail(where(path, key), "expected a string or an object with \"code\", got " + kindOf(v));
}

void JsonReader::requireArrayOrMissing(const Value& v, const Path& path, std::string_view key) {
  if (!v.missing() && v.kind != Kind::Array)
    fail(where(path, key), "expected an array, got " + kindOf(v));
}

void JsonReader::requireObject(const Value& v, const std::string& path) {
  if (v.kind != Kind::Object) fail(path, "expected an object, got " + kindOf(v));
}

Poco::JSON::Object::Ptr JsonReader::object(const Poco::Dynamic::Var& v, const std::string& path) {
  requireObject(valueOf(v), path);
  return v.extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr JsonReader::array(const Poco::Dynamic::Var& v, const std::string& path) {
  if (!isArray(v)) fail(path, "expected an array, got " + kindOf(valueOf(v)));
  return v.extract<Poco::JSON::Array::Ptr>();
}

Poco::JSON::Array::Ptr JsonReader::optArray(const Poco::JSON::Object& o, const std::string& key,
                                            const std::string& path) {
  if (!o.has(key) || o.isNull(key)) return {};
  return array(o.get(key), join(path, key));
}

std::optional<std::string> JsonReader::optString(const Poco::JSON::Object& o,
                                                 const std::string& key, const std::string& path) {
  return optString(field(o, key), fixed(path), key);
}

std::string JsonReader::requiredString(const Poco::JSON::Object& o, const std::string& key,
                                       const std::string& path) {
  return requiredString(field(o, key), fixed(path), key);
}

std::optional<std::int64_t> JsonReader::optInteger(const Poco::JSON::Object& o,
                                                   const std::string& key,
                                                   const std::string& path) {
  return optInteger(field(o, key), fixed(path), key);
}

std::int64_t JsonReader::requiredInteger(const Poco::JSON::Object& o, const std::string& key,
                                         const std::string& path) {
  return requiredInteger(field(o, key), fixed(path), key);
}

std::optional<double> JsonReader::optNumber(const Poco::JSON::Object& o, const std::string& key,
                                            const std::string& path) {
  return optNumber(field(o, key), fixed(path), key);
}

CodeName JsonReader::codeName(const Poco::JSON::Object& o, const std::string& key,
                              const std::string& path) {
  Value v = field(o, key), code, name;
  if (v.kind == Kind::Object) {
    const auto inner = o.getObject(key);
    code = field(*inner, "code");
    name = field(*inner, "name");
  }
  return codeName(std::move(v), std::move(code), std::move(name), fixed(path), key);
}

}  // namespace ambita::api
