// The connector conformance suite run against the in-memory test connector
// (tests/host-sdk/modules/MemoryConnector.cpp), loaded as a module the way dms-host loads one:
// the dms-host and loader tests rely on that target behaving as a real connector does.
#include <memory>
#include <stdexcept>

#include "conformance/ConnectorConformance.h"
#include "dms/ModuleLoader.h"
#include "support/CapturingLogger.h"
#include "support/ForwardingTarget.h"
#include "support/TempDir.h"

namespace {

dms::conformance::ConnectorUnderTest memoryConnector() {
  return {"memory", [] {
            dms::ModuleLoader loader;
            const auto module = loader.loadConnector(
                dms::ModuleLoader::connectorFile(DMS_TEST_MODULE_DIR, "memory"));
            if (!module.ok()) throw std::runtime_error(module.report().message);
            auto logger = std::make_shared<dms::test::CapturingLogger>();
            auto dataDir = std::make_shared<dms::test::TempDir>("dms-memory-conformance");
            dms::ConnectorContext context;
            context.configJson = "{}";
            context.dataDir = dataDir->path().string();
            context.logger = logger.get();
            auto target = module.create(context);
            if (!target) throw std::runtime_error(target.error().describe());
            // The suite owns a unique_ptr; the module's shared_ptr (which keeps the library
            // loaded) and what it uses live in the teardown, run after the suite's wrapper is
            // gone.
            std::shared_ptr<dms::DocumentTarget> shared = std::move(*target);
            dms::conformance::TargetInstance instance;
            instance.target = std::make_unique<dms::test::ForwardingTarget>(*shared);
            instance.teardown = [shared, logger, dataDir] {};
            return instance;
          }};
}

}  // namespace

namespace dms::conformance {
INSTANTIATE_TEST_SUITE_P(Memory, ConnectorConformance, testing::Values(memoryConnector()),
                         connectorName);
}  // namespace dms::conformance
