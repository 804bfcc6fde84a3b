#include "dms/ModuleLoader.h"

#include <exception>

namespace dms {

PluginModule::PluginModule(LoadReport report, std::shared_ptr<void> library,
                           std::shared_ptr<const PluginFactory> factory)
    : report_(std::move(report)), library_(std::move(library)), factory_(std::move(factory)) {}

Result<ModulePtr<Plugin>> PluginModule::create(const HostServices& services) const {
  if (!ok()) return fail(ErrorCode::Internal, "plugin not loaded: " + report_.message);
  try {
    auto made = factory_->create(services);
    if (!made) return made.error();
    if (!made.value())
      return fail(ErrorCode::Internal,
                  "the plugin factory of " + report_.file.string() + " returned no plugin");
    // Re-wrap: the plugin is deleted by its module's code, then the library reference drops.
    return ModulePtr<Plugin>(made.value().release(), ModuleObjectDeleter{library_});
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal,
                "the plugin factory of " + report_.file.string() + " threw: " + e.what());
  } catch (...) {
    return fail(ErrorCode::Internal, "the plugin factory of " + report_.file.string() + " threw");
  }
}

}  // namespace dms
