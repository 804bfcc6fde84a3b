#pragma once
/// The engine's host commands for administrators:
///   sync [--order ID]...   reconcile the given orders, every tracked order not finished (or
///                          finished within poll.finishedDays) and every order waiting in the
///                          push inbox; progress on io.err when io.terminal; exit 1 if anything
///                          failed
///   track ID [--reference R] [--technical-reference T] [--cadastre C] [--address A]
///   status [ID]            orders, assets, where each file went
///   preview --order ID     where each asset would go, with what metadata; writes nothing
///   verify [--repair] [--quick]  state vs target: missing, changed (size, SHA-256 of the
///                          content; --quick: size only), orphaned files; --repair files again
///                          what is missing
///   audit [--order ID] [--limit N]
/// Exit codes: 0 success, 1 the work failed (details on io.err), 2 bad usage.
/// Everything referred to outlives the object. Not thread-safe (one command at a time).

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "dms/Plugin.h"
#include "filing/FilingConfig.h"
#include "filing/Reconciler.h"
#include "filing/StateStore.h"

namespace ambita::filing {

class AdminCommands {
 public:
  AdminCommands(Reconciler& reconciler, StateStore& store, dms::DocumentTarget& target,
                const FilingConfig& config, std::string dataDir)
      : reconciler_(reconciler),
        store_(store),
        target_(target),
        config_(config),
        dataDir_(std::move(dataDir)) {}

  /// The commands above, for Plugin::commands().
  static std::vector<dms::CommandSpec> specs();

  /// True if `name` is one of the commands above.
  static bool handles(const std::string& name);

  /// Runs one of the commands above. Never throws.
  int run(const std::string& name, const std::vector<std::string>& args,
          const dms::CommandIO& io) noexcept;

 private:
  int sync(const std::vector<std::string>& args, const dms::CommandIO& io);
  int track(const std::vector<std::string>& args, const dms::CommandIO& io);
  int status(const std::vector<std::string>& args, const dms::CommandIO& io);
  int preview(const std::vector<std::string>& args, const dms::CommandIO& io);
  int verify(const std::vector<std::string>& args, const dms::CommandIO& io);
  int audit(const std::vector<std::string>& args, const dms::CommandIO& io);
  /// Failed assets of these orders (asked for by name) are retried now, given up or not.
  dms::Status retryNow(const std::vector<std::int64_t>& orderIds);
  /// Inbox orders whose reconcile failed: since when, next try, why.
  void printWaitingOrders(std::ostream& out);

  Reconciler& reconciler_;
  StateStore& store_;
  dms::DocumentTarget& target_;
  const FilingConfig& config_;
  std::string dataDir_;
};

}  // namespace ambita::filing
