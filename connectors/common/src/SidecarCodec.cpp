#include "dms/common/SidecarCodec.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace dms::common {
namespace {

constexpr int kSidecarVersion = 1;

Result<Metadata> stringMembers(const Poco::JSON::Object& object, std::string_view where) {
  Metadata metadata;
  for (const auto& [key, value] : object) {
    if (!value.isString())
      return fail(ErrorCode::DataLoss, "metadata sidecar " + std::string(where) +
                                           ": the value of '" + key + "' is not a string");
    metadata.emplace(key, value.extract<std::string>());
  }
  return metadata;
}

}  // namespace

std::string encodeSidecar(const Metadata& metadata) {
  Poco::JSON::Object values;
  for (const auto& [key, value] : metadata) values.set(key, value);
  Poco::JSON::Object document;
  document.set("version", kSidecarVersion);
  document.set("metadata", values);
  std::ostringstream out;
  document.stringify(out, 1);
  out << '\n';
  return out.str();
}

Result<Metadata> decodeSidecar(std::string_view text, std::string_view where) {
  Poco::JSON::Object::Ptr document;
  try {
    Poco::JSON::Parser parser;
    document = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::DataLoss, "metadata sidecar " + std::string(where) +
                                         " is not a JSON object: " + e.displayText());
  } catch (const std::exception& e) {
    return fail(ErrorCode::DataLoss,
                "metadata sidecar " + std::string(where) + " is not a JSON object: " + e.what());
  }
  if (!document)
    return fail(ErrorCode::DataLoss, "metadata sidecar " + std::string(where) + " is empty");
  if (!document->has("version") || !document->has("metadata"))
    return stringMembers(*document, where);  // the WebDAV connector's earlier flat form
  const auto version = document->get("version");
  if (!version.isInteger() || version.convert<int>() != kSidecarVersion)
    return fail(ErrorCode::DataLoss, "metadata sidecar " + std::string(where) +
                                         ": unknown version " + version.toString());
  const auto values = document->getObject("metadata");
  if (!values)
    return fail(ErrorCode::DataLoss,
                "metadata sidecar " + std::string(where) + ": \"metadata\" is not an object");
  return stringMembers(*values, where);
}

}  // namespace dms::common
