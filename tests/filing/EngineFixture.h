#pragma once
/// Shared set-up for engine tests: a temp folder with a real filesystem target
/// (`<tmp>/archive`), a state database (`<tmp>/data/state.db`), a fake Ambita API, a capturing
/// logger, and a Reconciler over them; plus helpers to read back the archive tree.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "FakeOrderApi.h"
#include "dms/Logger.h"
#include "dms/filesystem/FilesystemTarget.h"
#include "filing/FilingConfig.h"
#include "filing/FilingService.h"
#include "filing/Reconciler.h"
#include "filing/SqliteStateStore.h"
#include "support/CapturingLogger.h"
#include "support/TempDir.h"

namespace ambita::test {

using dms::test::CapturingLogger;

/// One file of the archive as read back from the target.
struct ArchivedFile {
  std::string content;
  dms::Metadata metadata;
};

class EngineFixture : public ::testing::Test {
 public:
  /// An order with one supplier order holding `orderLevel` assets and one line with `lineLevel`.
  static api::OrderCollection makeOrder(std::int64_t id, const std::string& status,
                                        std::vector<api::Asset> orderLevel,
                                        std::vector<api::Asset> lineLevel = {});

 protected:
  void SetUp() override;
  void TearDown() override;

  /// (Re)builds config, store and reconciler; `configJson` is the "ambita" section.
  void configure(const std::string& configJson = "{}");
  /// Drops the reconciler and store (as a process exit would), keeping the files.
  void closeEngine();

  /// Every file under the archive root (recursively) with content and metadata.
  std::map<std::string, ArchivedFile> tree();
  /// Names on disk under the archive root that are not listed (temporaries, sidecars), and
  /// spool files.
  std::vector<std::string> leftovers();

  /// The system clock moved forward by advanceClock() (backoff without waiting).
  filing::EpochClock clock();
  void advanceClock(std::int64_t seconds) { clockOffsetSeconds_ += seconds; }

  dms::Result<filing::ReconcileReport> reconcile(std::int64_t id,
                                                 filing::Reason reason = filing::Reason::Sync);

  /// Runs `sql` on the state file through a second connection, `WITH RECURSIVE n(i)` giving it
  /// the numbers 1..count: a test's many rows in one transaction instead of one commit each.
  void writeStateWithNumbers(int count, const std::string& sql);

  std::unique_ptr<dms::test::TempDir> tmp_;
  std::string archiveRoot_;
  std::string dataDir_;
  CapturingLogger logger_;
  FakeOrderApi api_;
  std::unique_ptr<dms::filesystem::FilesystemTarget> fsTarget_;
  dms::DocumentTarget* target_ = nullptr;  ///< fsTarget_ or a wrapper a test installs
  std::unique_ptr<filing::FilingConfig> config_;
  std::unique_ptr<filing::SqliteStateStore> store_;
  std::unique_ptr<filing::Reconciler> reconciler_;
  std::unique_ptr<filing::FilingService> service_;
  std::string configJson_ = "{}";
  std::atomic<std::int64_t> clockOffsetSeconds_{0};
};

}  // namespace ambita::test
