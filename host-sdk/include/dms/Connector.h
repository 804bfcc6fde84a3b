#pragma once
/// What a connector module exports: a factory that makes document targets from a
/// configuration section.

#include <memory>
#include <string>

#include "dms/ConfigSchema.h"
#include "dms/DocumentTarget.h"
#include "dms/Error.h"
#include "dms/Logger.h"

namespace dms {

/// Everything a connector gets to build a target.
struct ConnectorContext {
  /// The "target" section of the host configuration as JSON text (an object), with ${ENV}
  /// references already expanded and "connector" still present.
  std::string configJson;
  /// A folder the connector may use for its own files (caches); exists.
  std::string dataDir;
  Logger* logger = nullptr;  ///< never null; outlives the target
};

class ConnectorFactory {
 public:
  virtual ~ConnectorFactory() = default;
  /// The options of the "target" section this connector accepts (besides "connector").
  virtual ConfigSchema configSchema() const = 0;
  /// Makes a target; validates the configuration and reports the first problem by key path.
  /// Does not call recover() (see DocumentTarget::recover() for who may, and when).
  virtual Result<std::unique_ptr<DocumentTarget>> create(const ConnectorContext& context) const = 0;
};

}  // namespace dms
