// The filing lease of several processes sharing one state (issue 11): see
// FilingService::beginExclusiveRun.
#include <chrono>
#include <thread>

#include "filing/FilingService.h"

namespace ambita::filing {
namespace {

/// How long a starting process waits while another holds the Exclusive filing lease (it holds
/// it only while it recovers the target, before it files).
constexpr std::chrono::seconds kFilingLeaseWait{60};
constexpr std::chrono::milliseconds kFilingLeaseRetry{100};

}  // namespace

dms::Result<std::unique_ptr<StateStore::Lease>> FilingService::takeFilingLease(
    std::optional<std::string>& spoolProblem) {
  const auto key = LeaseKey::filing();
  const auto deadline = std::chrono::steady_clock::now() + kFilingLeaseWait;
  for (;;) {
    auto alone = store_.tryLease(key, StateStore::LeaseMode::Exclusive);
    if (!alone) return alone.error();
    if (*alone) {
      // No other process files now: every temporary in the target and every spool file is a
      // leftover of a killed process.
      // Leftovers it names are logged; no process of a shared state leaves a clean mark.
      if (auto recovered = recoverTarget(target_, reconciler_.logger(), dataDir_); !recovered)
        return recovered.error();
      if (auto s = reconciler_.cleanSpool(); !s) spoolProblem = s.error().describe();
      alone->reset();  // released before taking the Shared one (a lease is not reentrant)
    }
    auto shared = store_.tryLease(key, StateStore::LeaseMode::Shared);
    if (!shared) return shared.error();
    if (*shared) return std::move(*shared);
    // Another process holds the Exclusive lease while it recovers the target.
    if (std::chrono::steady_clock::now() >= deadline)
      return dms::fail(dms::ErrorCode::Locked,
                       "another dms-host process has held the filing lease in the state database "
                       "for over " +
                           std::to_string(kFilingLeaseWait.count()) +
                           " s while recovering the target; try again");
    std::this_thread::sleep_for(kFilingLeaseRetry);
  }
}

}  // namespace ambita::filing
