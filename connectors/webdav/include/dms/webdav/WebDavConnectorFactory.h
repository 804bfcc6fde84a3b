#pragma once
/// The "webdav" connector's factory: declares the options (WebDavOptions::schema) and makes a
/// WebDavTarget from the host's "target" section. Stateless; thread-safe.

#include "dms/Connector.h"

namespace dms::webdav {

class WebDavConnectorFactory final : public ConnectorFactory {
 public:
  ConfigSchema configSchema() const override;
  /// Errors: InvalidArgument naming the key ("target.url: required ..."). Makes no request.
  Result<std::unique_ptr<DocumentTarget>> create(const ConnectorContext& context) const override;
};

}  // namespace dms::webdav
