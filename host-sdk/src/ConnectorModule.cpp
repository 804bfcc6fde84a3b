#include "dms/ModuleLoader.h"

#include <exception>

#include "OlderMinorTarget.h"

namespace dms {

ConnectorModule::ConnectorModule(LoadReport report, std::shared_ptr<void> library,
                                 std::shared_ptr<const ConnectorFactory> factory,
                                 InterfaceVersion hostInterface)
    : report_(std::move(report)),
      library_(std::move(library)),
      factory_(std::move(factory)),
      hostInterface_(hostInterface) {}

Result<std::shared_ptr<DocumentTarget>> ConnectorModule::create(
    const ConnectorContext& context) const {
  if (!ok()) return fail(ErrorCode::Internal, "connector not loaded: " + report_.message);
  try {
    auto made = factory_->create(context);
    if (!made) return made.error();
    if (!made.value())
      return fail(ErrorCode::Internal,
                  "the connector factory of " + report_.file.string() + " returned no target");
    // The deleter owns a library reference: the target (module code) is deleted first, then
    // the reference drops, possibly unloading the library.
    std::shared_ptr<void> library = library_;
    std::shared_ptr<DocumentTarget> target(made.value().release(),
                                           [library](DocumentTarget* made) { delete made; });
    const InterfaceVersion connectorVersion =
        report_.descriptor ? report_.descriptor->interfaceVersion : hostInterface_;
    if (connectorVersion.minor < hostInterface_.minor)
      return std::shared_ptr<DocumentTarget>(
          std::make_shared<detail::OlderMinorTarget>(std::move(target), connectorVersion));
    return target;
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal,
                "the connector factory of " + report_.file.string() + " threw: " + e.what());
  } catch (...) {
    return fail(ErrorCode::Internal,
                "the connector factory of " + report_.file.string() + " threw");
  }
}

}  // namespace dms
