#pragma once
/// The sync benchmark's data set, made in a running ambita-sandbox through its control API:
/// `orders` Meglerpakke orders run to FINISHED (their scripted files: an overview letter and one
/// file per line), then `files` extra files of random size spread over the orders (alternately
/// at the supplier-order and the line level, in four categories, names with æøå), then
/// `bigFiles` big ones. Afterwards it reads every order back as the API shows it and records each
/// OK asset with its size and the sandbox's own SHA-256, the oracle every tool is checked against.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "WorkloadParams.h"
#include "support/SandboxProcess.h"

namespace dms::bench {

/// One file as the API lists it.
struct BenchAsset {
  std::string id;
  std::int64_t orderId = 0;
  std::uint64_t size = 0;
  std::string sha256;
  std::string downloadUrl;
};

class SyncWorkload {
 public:
  /// Creates the orders and files; throws std::runtime_error when the sandbox refuses a step.
  SyncWorkload(const test::SandboxProcess& sandbox, const WorkloadParams& params);

  const std::vector<std::int64_t>& orderIds() const { return orderIds_; }
  const std::vector<BenchAsset>& assets() const { return assets_; }
  std::uint64_t totalBytes() const { return totalBytes_; }
  /// How many files carry each SHA-256 (what a correct copy of everything holds).
  std::map<std::string, int> expectedDigests() const;

 private:
  std::vector<std::int64_t> orderIds_;
  std::vector<BenchAsset> assets_;
  std::uint64_t totalBytes_ = 0;
};

}  // namespace dms::bench
