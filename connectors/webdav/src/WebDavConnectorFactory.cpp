#include "dms/webdav/WebDavConnectorFactory.h"

#include "dms/webdav/WebDavOptions.h"
#include "dms/webdav/WebDavTarget.h"

namespace dms::webdav {

ConfigSchema WebDavConnectorFactory::configSchema() const {
  return WebDavOptions::schema();
}

Result<std::unique_ptr<DocumentTarget>> WebDavConnectorFactory::create(
    const ConnectorContext& context) const {
  if (context.logger == nullptr)
    return fail(ErrorCode::InvalidArgument, "webdav connector: the host gave no logger");
  std::vector<std::string> warnings;
  auto options = WebDavOptions::parse(context.configJson, &warnings);
  if (!options) return options.error();
  for (const auto& warning : warnings) context.logger->warning("webdav", warning);
  auto target = WebDavTarget::create(*options, *context.logger, context.dataDir);
  if (!target) return target.error();
  return std::unique_ptr<DocumentTarget>(std::move(*target));
}

}  // namespace dms::webdav
