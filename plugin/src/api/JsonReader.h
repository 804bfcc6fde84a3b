#pragma once
/// Reads fields out of JSON values liberally (numbers may come as numeric strings, codes as "X"
/// or {"code": "X", "name": ...}) and fails with the JSON path of the offending field. The
/// rules work on one JsonReader::Value each, so the Dynamic::Var readers below and the
/// streaming order reader (api/OrderReader) share them. Used inside the parsers only: it throws
/// JsonReader::Failure, which the parsers turn into a dms::Error at their edge, so no exception
/// leaves the api layer.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "api/Model.h"

namespace ambita::api {

class JsonReader {
 public:
  /// "<path>: <problem>", e.g. "orders[0].id: expected an integer".
  struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  /// One field's value as the rules see it: a scalar, or only the kind of a container.
  /// Absent (no such key) and Null read alike, except where a rule asks whether a key is there.
  struct Value {
    enum class Kind {
      Absent,
      Null,
      Boolean,
      Integer,
      Unsigned,
      Double,
      String,
      Object,
      Array,
      Other
    };
    Kind kind = Kind::Absent;
    std::int64_t integer = 0;           ///< Integer
    std::uint64_t unsignedInteger = 0;  ///< Unsigned (a number past int64 comes as this)
    double real = 0;                    ///< Double
    std::string text;                   ///< String
    bool missing() const { return kind == Kind::Absent || kind == Kind::Null; }
  };

  /// The JSON path of the object a field sits in ("" at the top level), built only when a
  /// message needs it: the streaming reader never builds paths for good input.
  using Path = std::function<std::string()>;

  /// `path` + "." + `key` (or just `key` at the root).
  static std::string join(const std::string& path, std::string_view key);
  /// `path` + "[i]".
  static std::string index(const std::string& path, std::size_t i);
  /// What a value is, for messages: "an object", "a string", "null", ...
  static std::string kindOf(const Value& v);
  /// A Dynamic::Var as a Value (containers by kind only).
  static Value valueOf(const Poco::Dynamic::Var& v);

  // The field rules, one home each. `v` is the value of `key` in the object at `path`.
  /// A string field; a number is taken as its text. Absent or null: nullopt.
  static std::optional<std::string> optString(Value v, const Path& path, std::string_view key);
  static std::string requiredString(Value v, const Path& path, std::string_view key);
  /// An integer, or a string of decimal digits ("1234567"). Absent or null: nullopt.
  static std::optional<std::int64_t> optInteger(const Value& v, const Path& path,
                                                std::string_view key);
  static std::int64_t requiredInteger(const Value& v, const Path& path, std::string_view key);
  /// A number or a numeric string ("1650.4"). Absent, null or "": nullopt.
  static std::optional<double> optNumber(const Value& v, const Path& path, std::string_view key);
  /// "X" → {X, ""}; {"code": X, "name": Y} → {X, Y} (`code`, `name`: that object's fields,
  /// read only when `v` is an object); absent or null → {}.
  static CodeName codeName(Value v, Value code, Value name, const Path& path, std::string_view key);
  /// Where a list is wanted: fails unless `v` is an array, absent or null.
  static void requireArrayOrMissing(const Value& v, const Path& path, std::string_view key);
  /// Where an object is wanted (a list's element, the top level): fails unless `v` is one.
  static void requireObject(const Value& v, const std::string& where);

  // The same rules on a parsed Poco tree (the products, token and push answers).
  static Poco::JSON::Object::Ptr object(const Poco::Dynamic::Var& v, const std::string& path);
  static Poco::JSON::Array::Ptr array(const Poco::Dynamic::Var& v, const std::string& path);
  /// The array at key, or null when absent/null.
  static Poco::JSON::Array::Ptr optArray(const Poco::JSON::Object& o, const std::string& key,
                                         const std::string& path);
  static std::optional<std::string> optString(const Poco::JSON::Object& o, const std::string& key,
                                              const std::string& path);
  static std::string requiredString(const Poco::JSON::Object& o, const std::string& key,
                                    const std::string& path);
  static std::optional<std::int64_t> optInteger(const Poco::JSON::Object& o, const std::string& key,
                                                const std::string& path);
  static std::int64_t requiredInteger(const Poco::JSON::Object& o, const std::string& key,
                                      const std::string& path);
  static std::optional<double> optNumber(const Poco::JSON::Object& o, const std::string& key,
                                         const std::string& path);
  static CodeName codeName(const Poco::JSON::Object& o, const std::string& key,
                           const std::string& path);

  [[noreturn]] static void fail(const std::string& path, const std::string& problem);
};

}  // namespace ambita::api
