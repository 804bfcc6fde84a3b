#pragma once
/// The engine's host commands for administrators (the command-line side: arguments, tables,
/// exit codes; what they do is the FilingService's):
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
///   costs [--reference R] [--from DATE] [--to DATE] [--by reference|category|product|month]
///         [--csv [--bom] [--locale no]|--json]   the cost ledger (AdminCosts.h)
/// Exit codes: 0 success, 1 the work failed (details on io.err), 2 bad usage.
/// Everything referred to outlives the object. Not thread-safe (one command at a time).

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "commands/CommandLine.h"
#include "dms/Plugin.h"
#include "filing/FilingConfig.h"
#include "filing/FilingService.h"

namespace ambita::commands {

class AdminCommands {
 public:
  AdminCommands(filing::FilingService& service, const filing::FilingConfig& config)
      : service_(service), store_(service.store()), config_(config) {}

  /// The commands above, for Plugin::commands().
  static std::vector<dms::CommandSpec> specs();

  /// True if `name` is one of the commands above.
  static bool handles(const std::string& name);

  /// Runs one of the commands above. Never throws.
  int run(const std::string& name, const std::vector<std::string>& args,
          const dms::CommandIO& io) noexcept;

 private:
  int sync(const CommandLine& cl, const dms::CommandIO& io);
  int track(const CommandLine& cl, const dms::CommandIO& io);
  int status(const CommandLine& cl, const dms::CommandIO& io);
  int preview(const CommandLine& cl, const dms::CommandIO& io);
  int verify(const CommandLine& cl, const dms::CommandIO& io);
  int audit(const CommandLine& cl, const dms::CommandIO& io);

  /// The orders `sync` reconciles, in order: the requested ones, the tracked ones due for a
  /// check, then those waiting in the push inbox (with what their messages say).
  struct SyncPlan {
    std::vector<std::int64_t> orderIds;
    std::map<std::int64_t, filing::QueuedOrder> queued;
  };
  dms::Result<SyncPlan> planSync(const std::vector<std::int64_t>& requested);
  /// Reconciles one order of a sync and prints its line; false when it failed.
  bool syncOne(std::int64_t id, const std::string& prefix, const SyncPlan& plan,
               const std::vector<std::int64_t>& requested, const dms::CommandIO& io,
               filing::ReconcileReport& totals);
  /// Failed assets of these orders (asked for by name) are retried now, given up or not.
  dms::Status retryNow(const std::vector<std::int64_t>& orderIds);
  /// The table of every tracked order, then the inbox.
  void printOrders(const std::vector<filing::TrackedOrder>& orders, std::ostream& out);
  /// One order with its assets.
  int printOrder(std::int64_t id, const dms::CommandIO& io);
  /// Inbox orders whose reconcile failed: since when, next try, why.
  void printWaitingOrders(std::ostream& out);

  filing::FilingService& service_;
  filing::StateStore& store_;
  const filing::FilingConfig& config_;

  // cost ledger (issue 12)
  int costs(const CommandLine& cl, const dms::CommandIO& io);
};

}  // namespace ambita::commands
