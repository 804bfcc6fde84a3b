// The connector conformance suite run against the filesystem connector, in both metadata
// modes (xattr where the temp folder's filesystem supports it, and sidecar).
#include <filesystem>
#include <memory>

#include "conformance/ConnectorConformance.h"
#include "dms/filesystem/FilesystemTarget.h"
#include "support/TempDir.h"

namespace {

using dms::conformance::ConnectorUnderTest;
using dms::conformance::TargetInstance;
using dms::filesystem::MetadataMode;

ConnectorUnderTest filesystemConnector(const std::string& name, MetadataMode mode) {
  return {name, [mode] {
            auto dir = std::make_shared<dms::test::TempDir>("dms-fs-conformance");
            dms::filesystem::FilesystemOptions options;
            options.root = (dir->path() / "root").string();
            options.metadata = mode;
            options.fsync = false;  // durability is not what these tests observe; keep them fast
            auto target = dms::filesystem::FilesystemTarget::open(options, nullptr);
            if (!target) throw std::runtime_error(target.error().describe());
            TargetInstance instance;
            instance.target = std::move(*target);
            instance.teardown = [dir] {};
            const auto root = options.root;
            instance.rawNames = [root](const std::string& folder) {
              std::vector<std::string> names;
              for (const auto& entry : std::filesystem::directory_iterator(root + "/" + folder))
                names.push_back(entry.path().filename().string());
              return names;
            };
            return instance;
          }};
}

}  // namespace

namespace dms::conformance {
INSTANTIATE_TEST_SUITE_P(Filesystem, ConnectorConformance,
                         testing::Values(filesystemConnector("xattr_or_auto", MetadataMode::Auto),
                                         filesystemConnector("sidecar", MetadataMode::Sidecar)),
                         connectorName);
}  // namespace dms::conformance
