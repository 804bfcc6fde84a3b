#pragma once
/// The plugin module's factory (exported by ModuleEntry.cpp through DMS_DECLARE_PLUGIN):
/// identity, the "ambita" section's schema (client options + filing/push/poll options), and
/// create(). Stateless; thread-safe.

#include "dms/Plugin.h"

namespace ambita {

class AmbitaPluginFactory final : public dms::PluginFactory {
 public:
  dms::PluginInfo info() const override;
  dms::ConfigSchema configSchema() const override;
  /// Never throws; configuration problems come back as InvalidArgument naming the key.
  dms::Result<std::unique_ptr<dms::Plugin>> create(
      const dms::HostServices& services) const override;
};

}  // namespace ambita
