#pragma once
/// The shield around a plugin made by a module built for an older interface minor (private to
/// the loader), as OlderMinorTarget is for targets. Such a plugin's vtable ends where its minor
/// ended: calling a method added later (metricsText(), appended within 1.1) would jump past it.
/// The shield forwards only the methods the plugin's minor has; every later one keeps its
/// default from Plugin.

#include "dms/ModuleInfo.h"
#include "dms/ModuleLoader.h"
#include "dms/Plugin.h"

namespace dms::detail {

class OlderMinorPlugin final : public Plugin {
 public:
  /// `inner` was made by a plugin module built for `innerVersion` (same major, older minor).
  OlderMinorPlugin(ModulePtr<Plugin> inner, InterfaceVersion innerVersion);

  // The methods of interface 1.0: every plugin of major 1 has them.
  PluginInfo info() const override;
  Status startService() override;
  void stop() noexcept override;
  std::vector<Route> routes() override;
  std::vector<CommandSpec> commands() const override;
  int runCommand(const std::string& name, const std::vector<std::string>& args,
                 const CommandIO& io) noexcept override;

  // Appended within 1.1: forwarded to plugins of 1.1 or later (none is shielded while the host
  // is 1.1; a host of 1.2 shields 1.1 plugins and forwards this to them).
  std::string metricsText() noexcept override;

 private:
  bool innerHas(std::uint16_t minor) const { return innerVersion_.minor >= minor; }

  ModulePtr<Plugin> inner_;
  InterfaceVersion innerVersion_;
};

}  // namespace dms::detail
