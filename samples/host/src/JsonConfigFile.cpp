#include "JsonConfigFile.h"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>

namespace dms::host {

Result<Poco::JSON::Object::Ptr> JsonConfigFile::load(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::exists(file, error))
    return fail(ErrorCode::NotFound, "configuration file '" + file.string() + "' not found");
  if (!std::filesystem::is_regular_file(file, error))
    return fail(ErrorCode::InvalidArgument,
                "configuration file '" + file.string() + "' is not a regular file");
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return fail(ErrorCode::PermissionDenied,
                "configuration file '" + file.string() + "' cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), "configuration file '" + file.string() + "'");
}

Result<Poco::JSON::Object::Ptr> JsonConfigFile::parse(const std::string& text,
                                                      const std::string& origin) {
  // Poco's parser reports no position, but reads a stream byte by byte: where the stream
  // stopped is just past the offending byte.
  std::istringstream in(text);
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    Poco::Dynamic::Var root = parser.parse(in);
    if (root.type() != typeid(Poco::JSON::Object::Ptr))
      return fail(ErrorCode::InvalidArgument, origin + ": the top level must be a JSON object");
    return root.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    in.clear();
    std::streamoff stop = in.tellg();
    if (stop < 0 || stop > static_cast<std::streamoff>(text.size()))
      stop = static_cast<std::streamoff>(text.size());
    const std::size_t offending = stop > 0 ? static_cast<std::size_t>(stop - 1) : 0;
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offending && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.message().empty() ? e.displayText() : e.message();
    return fail(ErrorCode::InvalidArgument, origin + " is not valid JSON near line " +
                                                std::to_string(line) + ", column " +
                                                std::to_string(column) + ": " + what);
  }
}

Poco::JSON::Object::Ptr JsonConfigFile::clone(const Poco::JSON::Object::Ptr& object) {
  auto copy = parse(toJson(object), "copy");
  return copy ? copy.value() : Poco::JSON::Object::Ptr(new Poco::JSON::Object(true));
}

std::string JsonConfigFile::toJson(const Poco::JSON::Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

}  // namespace dms::host
