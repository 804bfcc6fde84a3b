#include "dms/filesystem/FilesystemConnectorFactory.h"

#include "dms/config/OptionReader.h"

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

Result<FilesystemOptions> FilesystemConnectorFactory::parseOptions(
    const std::string& configJson, std::vector<std::string>* warnings) {
  // Types, defaults, unknown and dotted keys: the declared schema, checked by the one reader.
  auto reader = config::OptionReader::parse(configJson, FilesystemConnectorFactory().configSchema(),
                                            "target", {"connector"});
  if (!reader) return reader.error();

  FilesystemOptions options;
  options.root = reader->string("root");
  if (options.root.empty()) return reader->invalid("root", "must not be empty");
  const std::string metadata = reader->string("metadata");
  if (metadata == "auto") {
    options.metadata = MetadataMode::Auto;
  } else if (metadata == "xattr") {
    options.metadata = MetadataMode::ExtendedAttributes;
  } else if (metadata == "sidecar") {
    options.metadata = MetadataMode::Sidecar;
  } else {
    return reader->invalid("metadata", "expected one of \"auto\", \"xattr\", \"sidecar\"");
  }
  options.fsync = reader->boolean("fsync");
  if (warnings) *warnings = reader->warnings();
  return options;
}

Result<std::unique_ptr<DocumentTarget>> FilesystemConnectorFactory::create(
    const ConnectorContext& context) const {
  // Nothing may leave the module as an exception.
  try {
    std::vector<std::string> warnings;
    auto options = parseOptions(context.configJson, &warnings);
    if (!options) return options.error();
    for (const auto& warning : warnings)
      if (context.logger) context.logger->warning("filesystem", warning);
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
