// A minimal third-party plugin module built against the installed SDK only.
#include <dms/ModuleInfo.h>
#include <dms/Plugin.h>

namespace {

class ConsumerFactory final : public dms::PluginFactory {
 public:
  dms::PluginInfo info() const override {
    return {"consumer", "0.0.1", "built outside the project", "consumer"};
  }
  dms::ConfigSchema configSchema() const override {
    return {{{"answer", dms::OptionType::Integer, "42", false, false, "an option"}}};
  }
  dms::Result<std::unique_ptr<dms::Plugin>> create(const dms::HostServices&) const override {
    return dms::fail(dms::ErrorCode::NotSupported, "consumer: nothing to run");
  }
};

}  // namespace

DMS_DECLARE_PLUGIN("consumer", "0.0.1", ConsumerFactory)
