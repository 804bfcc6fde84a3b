#pragma once
/// The engine's host commands for administrators (the command-line side: arguments, tables,
/// exit codes; what they do is the FilingService's):
///   sync [--order ID]...   reconcile the given orders, every tracked order not finished (or
///                          finished within poll.finishedDays) and every order waiting in the
///                          push inbox; progress on io.err when io.terminal; exit 1 if anything
///                          failed. poll.workers orders are reconciled at once (as the
///                          service does), their lines printed in the plan's order
///   track ID [--reference R] [--technical-reference T] [--cadastre C] [--address A]
///   status [ID]            orders, assets, where each file went
///   preview --order ID     where each asset would go, with what metadata; writes nothing
///   verify [--repair] [--quick]  state vs target: missing, changed (size, SHA-256 of the
///                          content; --quick: size only), orphaned files; --repair files again
///                          what is missing
///   audit [--order ID] [--limit N]
///   costs [--reference R] [--from DATE] [--to DATE] [--by reference|category|product|month]
///         [--csv [--bom] [--locale no]|--json]   the cost ledger (AdminCosts.h)
///   failures               assets that failed, orders waiting for a retry
///   retry ID [--asset A]   clears the failure state of the order's failed assets (or of A),
///                          then syncs the order like sync --order
/// Every command takes --json: one JSON document on io.out (plugin/README.md, "Status as
/// data"; written by status/StatusJson from status/StatusQuery's structures). The action
/// commands (track, sync, retry, verify) take --actor WHO, recorded in the audit trail.
/// While the plugin's service runs (RunningService), sync --order and retry queue the order to
/// it like a push and verify --repair runs beside it, instead of taking the data folder's lock
/// a second time.
/// Exit codes: 0 success, 1 the work failed (details on io.err, or {"error": ...} on io.out
/// with --json), 2 bad usage (usage on io.err).
/// Everything referred to outlives the object. run() may be called from several threads at
/// once (the state, reconciler and service are thread-safe; the object holds no state).

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "commands/CommandLine.h"
#include "dms/Plugin.h"
#include "filing/FilingConfig.h"
#include "filing/FilingService.h"
#include "status/StatusQuery.h"

namespace ambita::commands {

/// The plugin's running service, as the action commands see it.
class RunningService {
 public:
  virtual ~RunningService() = default;
  /// Whether the service runs now (it holds the data folder's lock).
  virtual bool running() const = 0;
  /// Queues a reconcile of the order to the running service (the push inbox, as a push does)
  /// and wakes a worker. Returns false, queueing nothing, when the service does not run.
  virtual dms::Result<bool> queueOrder(std::int64_t orderId) = 0;
};

class Output;

class AdminCommands {
 public:
  /// `running` (may be null: no service, as in a command-line run) is asked whether to queue
  /// to the service instead of taking the lock.
  AdminCommands(filing::FilingService& service, const filing::FilingConfig& config,
                RunningService* running = nullptr)
      : service_(service), store_(service.store()), config_(config), running_(running) {}

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
  int failures(const CommandLine& cl, const dms::CommandIO& io);
  int retry(const CommandLine& cl, const dms::CommandIO& io);

  /// The orders `sync` reconciles, in order: the requested ones, the tracked ones due for a
  /// check, then those waiting in the push inbox (with what their messages say).
  struct SyncPlan {
    std::vector<std::int64_t> orderIds;
    std::map<std::int64_t, filing::QueuedOrder> queued;
  };
  dms::Result<SyncPlan> planSync(const std::vector<std::int64_t>& requested);
  /// How one order of a sync went: its report, or why it failed ("" when it did not), and
  /// the lines it prints when its turn comes (orders run at once, print in plan order).
  struct OrderSynced {
    std::optional<filing::ReconcileReport> report;
    std::string error;
    struct Line {
      bool toErr;  ///< Output::err() (warnings), else Output::text()
      std::string text;
    };
    std::vector<Line> lines;
    bool ok() const { return error.empty(); }
  };
  /// Reconciles one order of a sync (on any thread: it writes nothing to the output but its
  /// progress lines). An order found unchanged leaves its check in `checks`.
  OrderSynced syncOne(std::int64_t id, const std::string& prefix, const SyncPlan& plan,
                      const std::vector<std::int64_t>& requested,
                      const filing::ProgressFn& progress, filing::CheckBatch& checks);
  /// Failed assets of these orders (asked for by name) are retried now, given up or not;
  /// with `onlyAsset`, only that asset. Returns how many were reset.
  dms::Result<std::size_t> retryNow(const std::vector<std::int64_t>& orderIds,
                                    const std::string& onlyAsset = "");
  /// The sync of `requested` orders without the service: under the lock, here.
  int syncHere(const std::vector<std::int64_t>& requested, Output& output,
               std::optional<std::size_t> retried = std::nullopt);
  /// Queues `requested` to the running service; false (nothing printed) when it does not run.
  std::optional<int> syncQueued(const std::vector<std::int64_t>& requested, Output& output,
                                std::optional<std::size_t> retried = std::nullopt);
  /// Records who asked for an action (--actor) in the audit trail.
  void auditRequest(const CommandLine& cl, std::int64_t orderId, const std::string& action,
                    const std::string& detail);
  /// The table of a page of tracked orders, then the inbox.
  void printOrders(const filing::OrderPage& page, std::ostream& out);
  /// One order with its cost and assets.
  void printOrder(const status::OrderDetail& detail, std::ostream& out);
  /// Inbox orders whose reconcile failed: since when, next try, why.
  void printWaitingOrders(const std::vector<status::WaitingOrder>& waiting, std::ostream& out);

  filing::FilingService& service_;
  filing::StateStore& store_;
  const filing::FilingConfig& config_;
  RunningService* running_;

  // cost ledger (issue 12)
  int costs(const CommandLine& cl, const dms::CommandIO& io);

  // --- the text listing of every order a page at a time (issue 15, branch pagerest)
  /// Prints every order matching `query` (its limit is the page size), then the inbox: one
  /// page in memory at a time, walked by cursor (OrderQuery::after).
  int printEveryOrder(filing::OrderQuery query, Output& output, std::ostream& out);
  /// The push inbox's size and its waiting orders (below an order listing).
  void printQueues(std::ostream& out);
};

}  // namespace ambita::commands
