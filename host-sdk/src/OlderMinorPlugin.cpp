#include "OlderMinorPlugin.h"

namespace dms::detail {

OlderMinorPlugin::OlderMinorPlugin(ModulePtr<Plugin> inner, InterfaceVersion innerVersion)
    : inner_(std::move(inner)), innerVersion_(innerVersion) {}

PluginInfo OlderMinorPlugin::info() const {
  return inner_->info();
}

Status OlderMinorPlugin::startService() {
  return inner_->startService();
}

void OlderMinorPlugin::stop() noexcept {
  inner_->stop();
}

std::vector<Route> OlderMinorPlugin::routes() {
  return inner_->routes();
}

std::vector<CommandSpec> OlderMinorPlugin::commands() const {
  return inner_->commands();
}

int OlderMinorPlugin::runCommand(const std::string& name, const std::vector<std::string>& args,
                                 const CommandIO& io) noexcept {
  return inner_->runCommand(name, args, io);
}

std::string OlderMinorPlugin::metricsText() noexcept {
  if (innerHas(1)) return inner_->metricsText();
  return Plugin::metricsText();
}

}  // namespace dms::detail
