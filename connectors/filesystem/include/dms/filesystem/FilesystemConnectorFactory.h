#pragma once
/// The filesystem connector's factory (what dms-connector-filesystem.so exports).
///
/// Configuration ("target" section; "connector": "filesystem"):
///   root      string, required   folder the documents go under; created if missing
///   metadata  "auto" | "xattr" | "sidecar", default "auto"
///   fsync     boolean, default true
/// Read through the declared schema (config-common's OptionReader): unknown keys and keys
/// written with dots are refused with InvalidArgument naming "target.<key>".

#include <string>
#include <vector>

#include "dms/Connector.h"
#include "dms/filesystem/FilesystemTarget.h"

namespace dms::filesystem {

class FilesystemConnectorFactory final : public ConnectorFactory {
 public:
  // dms::ConnectorFactory
  ConfigSchema configSchema() const override;
  Result<std::unique_ptr<DocumentTarget>> create(const ConnectorContext& context) const override;

  /// Parses and validates the "target" section (JSON text). Errors: InvalidArgument naming
  /// the key path ("target.metadata: expected one of auto, xattr, sidecar").
  /// `warnings` (optional) receives what to log once, e.g. an old spelling of a key.
  static Result<FilesystemOptions> parseOptions(const std::string& configJson,
                                                std::vector<std::string>* warnings = nullptr);
};

}  // namespace dms::filesystem
