#include "AmbitaPluginFactory.h"

#include "AmbitaPlugin.h"

namespace ambita {

dms::PluginInfo AmbitaPluginFactory::info() const {
  return AmbitaPlugin::pluginInfo();
}

dms::ConfigSchema AmbitaPluginFactory::configSchema() const {
  return AmbitaPlugin::configSchema();
}

dms::Result<std::unique_ptr<dms::Plugin>> AmbitaPluginFactory::create(
    const dms::HostServices& services) const {
  try {
    auto plugin = AmbitaPlugin::create(services);
    if (!plugin) return plugin.error();
    return std::unique_ptr<dms::Plugin>(std::move(*plugin));
  } catch (const std::exception& e) {
    return dms::fail(dms::ErrorCode::Internal, std::string("ambita plugin: ") + e.what());
  } catch (...) {
    return dms::fail(dms::ErrorCode::Internal, "ambita plugin: unexpected error");
  }
}

}  // namespace ambita
