#include "dms/filesystem/FilesystemConnectorFactory.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace dms::filesystem {

ConfigSchema FilesystemConnectorFactory::configSchema() const {
  ConfigSchema schema;
  schema.options.push_back({"root", OptionType::String, "", true, false,
                            "Folder the documents are filed under; created if missing. Nothing "
                            "outside it is ever written (symlinks leading out are refused)."});
  schema.options.push_back({"metadata", OptionType::String, "\"auto\"", false, false,
                            "Where metadata goes: \"xattr\" (user.dms.* extended attributes), "
                            "\"sidecar\" (hidden .dms-meta-<name>.json next to each file) or "
                            "\"auto\" (xattr when the filesystem supports it)."});
  schema.options.push_back({"fsync", OptionType::Boolean, "true", false, false,
                            "fsync files and folders so a filed document survives a power cut."});
  return schema;
}

Result<FilesystemOptions> FilesystemConnectorFactory::parseOptions(const std::string& configJson) {
  Poco::JSON::Object::Ptr config;
  try {
    Poco::JSON::Parser parser;
    config = parser.parse(configJson).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument, "target: not a JSON object (" + e.displayText() + ")");
  } catch (const std::exception& e) {
    return fail(ErrorCode::InvalidArgument,
                std::string("target: not a JSON object (") + e.what() + ")");
  }
  if (!config) return fail(ErrorCode::InvalidArgument, "target: not a JSON object");

  FilesystemOptions options;
  for (const auto& [key, value] : *config) {
    if (key == "connector") continue;
    if (key == "root") {
      if (!value.isString())
        return fail(ErrorCode::InvalidArgument, "target.root: expected a string (a folder path)");
      options.root = value.toString();
      if (options.root.empty())
        return fail(ErrorCode::InvalidArgument, "target.root: must not be empty");
    } else if (key == "metadata") {
      const auto text = value.isString() ? value.toString() : std::string();
      if (text == "auto") {
        options.metadata = MetadataMode::Auto;
      } else if (text == "xattr") {
        options.metadata = MetadataMode::ExtendedAttributes;
      } else if (text == "sidecar") {
        options.metadata = MetadataMode::Sidecar;
      } else {
        return fail(ErrorCode::InvalidArgument,
                    "target.metadata: expected one of \"auto\", \"xattr\", \"sidecar\"");
      }
    } else if (key == "fsync") {
      if (!value.isBoolean())
        return fail(ErrorCode::InvalidArgument, "target.fsync: expected true or false");
      options.fsync = value.extract<bool>();
    } else {
      return fail(
          ErrorCode::InvalidArgument,
          "target." + key +
              ": unknown option of the filesystem connector (known: root, metadata, fsync)");
    }
  }
  if (options.root.empty())
    return fail(ErrorCode::InvalidArgument, "target.root: required (the folder to file into)");
  return options;
}

Result<std::unique_ptr<DocumentTarget>> FilesystemConnectorFactory::create(
    const ConnectorContext& context) const {
  // Nothing may leave the module as an exception.
  try {
    auto options = parseOptions(context.configJson);
    if (!options) return options.error();
    auto target = FilesystemTarget::open(*options, context.logger);
    if (!target) return target.error();
    return std::unique_ptr<DocumentTarget>(std::move(*target));
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, std::string("filesystem connector: ") + e.what());
  } catch (...) {
    return fail(ErrorCode::Internal, "filesystem connector: unknown exception");
  }
}

}  // namespace dms::filesystem
