#pragma once
/// Reads a JSON configuration file into an object (key order kept, for the admin view).

#include <Poco/JSON/Object.h>

#include <filesystem>
#include <string>

#include "dms/Error.h"

namespace dms::host {

class JsonConfigFile {
 public:
  /// Errors: NotFound (no such file), InvalidArgument (malformed JSON: the message names the
  /// file, the line and the column; or the top level is not an object).
  static Result<Poco::JSON::Object::Ptr> load(const std::filesystem::path& file);

  /// Same for JSON text; `origin` names it in messages.
  static Result<Poco::JSON::Object::Ptr> parse(const std::string& text, const std::string& origin);

  /// A deep copy (objects keep their key order).
  static Poco::JSON::Object::Ptr clone(const Poco::JSON::Object::Ptr& object);

  /// Compact JSON text of an object.
  static std::string toJson(const Poco::JSON::Object::Ptr& object);
};

}  // namespace dms::host
