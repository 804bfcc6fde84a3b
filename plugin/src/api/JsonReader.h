#pragma once
/// Reads fields out of Poco JSON values liberally (numbers may come as numeric strings, codes
/// as "X" or {"code": "X", "name": ...}) and fails with the JSON path of the offending field.
/// Used inside the parsers only: it throws JsonReader::Failure, which the parsers turn into a
/// dms::Error at their edge, so no exception leaves the api layer.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

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

  /// `path` + "." + `key` (or just `key` at the root).
  static std::string join(const std::string& path, const std::string& key);
  /// `path` + "[i]".
  static std::string index(const std::string& path, std::size_t i);

  static Poco::JSON::Object::Ptr object(const Poco::Dynamic::Var& v, const std::string& path);
  static Poco::JSON::Array::Ptr array(const Poco::Dynamic::Var& v, const std::string& path);
  /// The array at key, or null when absent/null.
  static Poco::JSON::Array::Ptr optArray(const Poco::JSON::Object& o, const std::string& key,
                                         const std::string& path);

  /// A string field; a number is taken as its text. Absent or null: nullopt.
  static std::optional<std::string> optString(const Poco::JSON::Object& o, const std::string& key,
                                              const std::string& path);
  static std::string requiredString(const Poco::JSON::Object& o, const std::string& key,
                                    const std::string& path);
  /// An integer, or a string of decimal digits ("1234567"). Absent or null: nullopt.
  static std::optional<std::int64_t> optInteger(const Poco::JSON::Object& o, const std::string& key,
                                                const std::string& path);
  static std::int64_t requiredInteger(const Poco::JSON::Object& o, const std::string& key,
                                      const std::string& path);
  /// A number or a numeric string ("1650.4"). Absent, null or "": nullopt.
  static std::optional<double> optNumber(const Poco::JSON::Object& o, const std::string& key,
                                         const std::string& path);
  /// "X" → {X, ""}; {"code": X, "name": Y} → {X, Y}; absent or null → {}.
  static CodeName codeName(const Poco::JSON::Object& o, const std::string& key,
                           const std::string& path);

  [[noreturn]] static void fail(const std::string& path, const std::string& problem);
};

}  // namespace ambita::api
