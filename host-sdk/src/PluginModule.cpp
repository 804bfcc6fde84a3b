#include "dms/ModuleLoader.h"

#include <exception>

#include "OlderMinorPlugin.h"

namespace dms {

PluginModule::PluginModule(LoadReport report, std::shared_ptr<void> library,
                           std::shared_ptr<const PluginFactory> factory,
                           InterfaceVersion hostInterface)
    : report_(std::move(report)),
      library_(std::move(library)),
      factory_(std::move(factory)),
      hostInterface_(hostInterface) {}

Result<ModulePtr<Plugin>> PluginModule::create(const HostServices& services) const {
  if (!ok()) return fail(ErrorCode::Internal, "plugin not loaded: " + report_.message);
  try {
    auto made = factory_->create(services);
    if (!made) return made.error();
    if (!made.value())
      return fail(ErrorCode::Internal,
                  "the plugin factory of " + report_.file.string() + " returned no plugin");
    // Re-wrap: the plugin is deleted by its module's code, then the library reference drops.
    ModulePtr<Plugin> plugin(made.value().release(), ModuleObjectDeleter{library_});
    const InterfaceVersion pluginVersion =
        report_.descriptor ? report_.descriptor->interfaceVersion : hostInterface_;
    if (pluginVersion.minor < hostInterface_.minor)
      // The shield is the loader's code; the plugin inside keeps its library reference.
      return ModulePtr<Plugin>(new detail::OlderMinorPlugin(std::move(plugin), pluginVersion),
                               ModuleObjectDeleter{});
    return plugin;
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal,
                "the plugin factory of " + report_.file.string() + " threw: " + e.what());
  } catch (...) {
    return fail(ErrorCode::Internal, "the plugin factory of " + report_.file.string() + " threw");
  }
}

}  // namespace dms
