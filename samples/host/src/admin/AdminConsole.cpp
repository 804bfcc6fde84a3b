#include "AdminConsole.h"

#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace dms::host::admin {

Result<std::unique_ptr<AdminConsole>> AdminConsole::open(const HostSetup& setup,
                                                         StderrLogger& logger,
                                                         const std::string& hostName) {
  const AdminSettings& settings = *setup.adminSettings();
  std::ostringstream config;
  Poco::JSON::Stringifier::stringify(setup.adminView(), config);
  AdminApi::Sources sources;
  sources.plugin = setup.plugin();
  sources.logger = &logger;
  // The view masks secret options; masking the text too catches a secret copied elsewhere
  // (as `config show` does).
  sources.maskedConfig = logger.mask(config.str());
  sources.modules = setup.loadedModules();
  sources.hostName = hostName;
  auto api = std::make_unique<AdminApi>(settings, std::move(sources));
  auto server = std::make_unique<RouteServer>(api->routes(), logger, setup.listenerLimits());
  if (auto bound = server->bind(settings.listen.host, settings.listen.port, "admin.listen"); !bound)
    return bound.error();
  return std::unique_ptr<AdminConsole>(new AdminConsole(std::move(api), std::move(server)));
}

AdminConsole::AdminConsole(std::unique_ptr<AdminApi> api, std::unique_ptr<RouteServer> server)
    : api_(std::move(api)), server_(std::move(server)) {}

void AdminConsole::start() {
  server_->start();
}

void AdminConsole::stopAccepting() noexcept {
  server_->stopAccepting();
}

void AdminConsole::stop() noexcept {
  server_->stop();
  api_->logHeldBackRefusals();  // no request refuses a login any more: none is lost
}

}  // namespace dms::host::admin
