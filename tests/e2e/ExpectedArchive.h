#pragma once
/// What the archive must hold according to the sandbox (the single source of truth): every
/// asset with status OK of every given order that is not CANCELLED or REFUNDED, once, with the
/// bytes whose SHA-256 the sandbox reports, and its metadata. differences() lists every way an
/// archive departs from that, so a test can poll until the list is empty and print it if not.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ArchiveView.h"
#include "support/SandboxProcess.h"

namespace dms::e2e {

struct ExpectedAsset {
  std::string id;
  std::int64_t orderId = 0;
  std::int64_t supplierOrderId = 0;
  std::int64_t orderLineId = 0;  ///< 0 for a file at the supplier-order level
  std::string name;
  std::string filename;
  std::uint64_t size = 0;
  std::string sha256;
};

class ExpectedArchive {
 public:
  /// Reads each order (`GET /_sandbox/orders/<id>`, the API's view in the order's payload
  /// generation) and the size and SHA-256 of each OK asset. Throws on a sandbox error.
  static ExpectedArchive fromSandbox(const test::SandboxProcess& sandbox,
                                     const std::vector<std::int64_t>& orderIds);

  const std::map<std::string, ExpectedAsset>& assets() const { return assets_; }
  /// Ids of the assets the orders list as DELETED (must not be in the archive).
  const std::vector<std::string>& withdrawn() const { return withdrawn_; }

  /// Every difference between the archive and the expectation, one readable line each:
  /// missing, duplicated, unexpected or withdrawn files, wrong bytes, missing or wrong metadata,
  /// unsafe path segments, leftovers. Empty when the archive is exactly right.
  std::vector<std::string> differences(const std::vector<FiledFile>& files,
                                       const std::vector<std::string>& leftovers) const;

  /// The problems of one path segment ("" when it is safe and readable): empty, "." or "..",
  /// control characters, backslash, invalid UTF-8, more than 255 bytes, hidden, or a Windows
  /// device name.
  static std::string segmentProblem(const std::string& segment);

 private:
  std::map<std::string, ExpectedAsset> assets_;
  std::vector<std::string> withdrawn_;
};

/// All differences of `view` against the sandbox's orders, read now.
std::vector<std::string> archiveDifferences(const ArchiveView& view,
                                            const test::SandboxProcess& sandbox,
                                            const std::vector<std::int64_t>& orderIds);

/// Polls archiveDifferences every 150 ms until it is empty or `seconds` pass; returns the last
/// differences (empty on success).
std::vector<std::string> waitForArchive(const ArchiveView& view,
                                        const test::SandboxProcess& sandbox,
                                        const std::vector<std::int64_t>& orderIds,
                                        int seconds = 30);

/// The lines of `problems` joined for a failure message (at most 40 lines).
std::string describe(const std::vector<std::string>& problems);

}  // namespace dms::e2e
