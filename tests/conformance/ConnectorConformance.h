#pragma once
/// The connector conformance suite: one set of GoogleTest value-parameterised tests written
/// against dms::DocumentTarget that every connector runs (as rclone's fstests).
///
/// How a connector's test executable runs it (tests/<connector>/CMakeLists.txt):
///
///   dms_add_conformance_test(webdav_conformance_test
///     SOURCES WebDavConformanceTest.cpp  LIBS dms_connector_webdav_core  LABELS integration)
///
/// and in WebDavConformanceTest.cpp:
///
///   #include "conformance/ConnectorConformance.h"
///   dms::conformance::ConnectorUnderTest webdavPlain() {
///     return {"webdav_plain", [] {
///       dms::conformance::TargetInstance instance;
///       instance.target = ...fresh target on an empty collection...;
///       instance.teardown = [state] { ... };          // optional
///       instance.rawNames = [state](const std::string& folder) {...};  // optional
///       return instance; }};
///   }
///   namespace dms::conformance {  // the macro needs the fixture's plain name in scope
///   INSTANTIATE_TEST_SUITE_P(WebDav, ConnectorConformance, testing::Values(webdavPlain()),
///                            connectorName);
///   }
///
/// (tests/filesystem/FilesystemConformanceTest.cpp is a complete example.)
///
/// Each test calls `make` once for a fresh, EMPTY target (recover() already called if the
/// connector needs it) and calls `teardown` (if set) after the target is destroyed. If `make`
/// throws or returns a null target, the test fails with that reason.
///
/// Requirements beyond DocumentTarget.h that the suite checks, so every connector agrees:
/// names starting with ".dms-" are refused (dms_connector_common's PathRules), put() may be
/// called while another call runs (a stream callback calls get() during a Replace put), and
/// error messages for hostile paths name the path. Optional capabilities (move) are skipped
/// with GTEST_SKIP when the target does not declare them.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "dms/DocumentTarget.h"

namespace dms::conformance {

/// One fresh target for one test, plus how to clean up after it.
struct TargetInstance {
  std::unique_ptr<DocumentTarget> target;
  /// Called after `target` is destroyed (remove the temp folder / collection). May be empty.
  std::function<void()> teardown;
  /// Optional: every raw entry name directly in `folder` INCLUDING bookkeeping names
  /// (temporaries, sidecars), straight from the storage. With it the suite also proves that
  /// failed puts leave no temporary behind; without it those checks are skipped.
  std::function<std::vector<std::string>(const std::string& folder)> rawNames;
  /// False for storage that never lists names starting with '.' (nginx's dav-ext module
  /// hides them from PROPFIND): the suite then does not expect list() to show them.
  bool listsDotNames = true;
};

/// The parameter: a connector variant by name and a factory of fresh, empty targets.
struct ConnectorUnderTest {
  std::string name;  ///< [A-Za-z0-9_] only: used in test names
  std::function<TargetInstance()> make;
};

/// Prints the connector's name in test output (instead of the parameter's bytes).
void PrintTo(const ConnectorUnderTest& connector, std::ostream* out);

/// For INSTANTIATE_TEST_SUITE_P's name generator argument.
std::string connectorName(const testing::TestParamInfo<ConnectorUnderTest>& info);

/// The fixture; tests are TEST_P(ConnectorConformance, ...) in ConnectorConformance.cpp.
class ConnectorConformance : public testing::TestWithParam<ConnectorUnderTest> {
 protected:
  void SetUp() override;
  void TearDown() override;

  DocumentTarget& target() { return *instance_.target; }
  /// Raw names (see TargetInstance::rawNames) or nullopt-like empty function.
  const TargetInstance& instance() const { return instance_; }

  /// put() from a string; fails the test (ADD_FAILURE) and returns false on error.
  bool putString(const std::string& path, const std::string& content, const Metadata& metadata = {},
                 PutMode mode = PutMode::CreateNew);
  /// Whole content of a file via get(), or "<error ...>" if it fails.
  std::string readAll(const std::string& path);
  /// Names listed in `folder`, or {"<error ...>"}.
  std::vector<std::string> listNames(const std::string& folder);

 private:
  TargetInstance instance_;
};

}  // namespace dms::conformance
