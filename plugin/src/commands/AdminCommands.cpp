#include "commands/AdminCommands.h"

#include <algorithm>
#include <iomanip>
#include <limits>
#include <mutex>
#include <optional>
#include <set>

#include "commands/AdminCosts.h"
#include "commands/AdminOutput.h"
#include "commands/InPlanOrder.h"
#include "filing/AuditLog.h"
#include "filing/CheckBatch.h"
#include "status/StatusJson.h"

namespace ambita::commands {
namespace {

using filing::AssetState;
using filing::Reason;

std::int64_t requireId(const std::string& what, const std::string& text) {
  auto id = CommandLine::positiveId(text);
  if (!id) throw UsageError{what + ": expected a positive number, got \"" + text + "\""};
  return *id;
}

std::optional<std::int64_t> optionalId(const CommandLine& cl, const std::string& flag) {
  auto text = cl.single(flag);
  if (!text) return std::nullopt;
  return requireId(flag, *text);
}

const std::string& usageOf(const std::string& name) {
  static const auto specs = AdminCommands::specs();
  static const std::string none;
  for (const auto& spec : specs)
    if (spec.name == name) return spec.usage;
  return none;
}

/// How each command's arguments are read (every command also takes --json).
CommandLine parse(const std::string& name, const std::vector<std::string>& args) {
  if (name == "sync") return CommandLine(args, {"--actor"}, {"--json"}, {"--order"});
  if (name == "track")
    return CommandLine(
        args, {"--reference", "--technical-reference", "--cadastre", "--address", "--actor"},
        {"--json"}, {}, 1);
  if (name == "status")
    return CommandLine(args, {"--page", "--per-page", "--search", "--state"}, {"--json"}, {}, 1);
  if (name == "preview") return CommandLine(args, {"--order"}, {"--json"});
  if (name == "verify") return CommandLine(args, {"--actor"}, {"--repair", "--quick", "--json"});
  if (name == "failures") return CommandLine(args, {}, {"--json"});
  if (name == "retry") return CommandLine(args, {"--asset", "--actor"}, {"--json"}, {}, 1);
  if (name == "costs")
    return CommandLine(args, {"--reference", "--from", "--to", "--by", "--locale"},
                       {"--csv", "--json", "--bom"});
  return CommandLine(args, {"--order", "--limit"}, {"--json"});  // audit
}

const char* label(filing::VerifyReport::Kind kind) {
  switch (kind) {
    case filing::VerifyReport::Kind::Missing:
      return "missing:  ";
    case filing::VerifyReport::Kind::Changed:
      return "changed:  ";
    case filing::VerifyReport::Kind::Orphaned:
      return "orphaned: ";
  }
  return "";
}

/// Takes the data folder for this command; reports why it could not (Output::fail) and
/// returns nullopt.
std::optional<filing::ExclusiveRun> beginRun(filing::FilingService& service,
                                             const std::string& name, Output& output) {
  auto run = service.beginExclusiveRun();
  if (!run) {
    output.fail(run.error().message);
    return std::nullopt;
  }
  if (const auto& problem = run->spoolProblem()) output.err() << name << ": " << *problem << "\n";
  if (!run->recovery()) {
    output.fail(run->recovery().error().describe());
    return std::nullopt;
  }
  if (*run->recovery() > 0)
    output.text() << "resolved " << *run->recovery()
                  << " interrupted action(s) of an earlier run\n";
  return std::optional<filing::ExclusiveRun>(std::move(*run));
}

/// One order of a sync, for the JSON document.
Poco::JSON::Object::Ptr orderResult(std::int64_t id, const filing::ReconcileReport* report,
                                    const std::string& error) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("orderId", id);
  o->set("status", report ? Poco::Dynamic::Var(report->status) : Poco::Dynamic::Var());
  o->set("filed", report ? report->filed : 0);
  o->set("removed", report ? report->removed : 0);
  o->set("failed", report ? report->failed : 0);
  o->set("waiting", report ? report->waiting : 0);
  o->set("error", error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(error));
  return o;
}

/// What the orders of a sync add up to, gathered one order after the other in the plan's
/// order: the totals, the first failure (exit code and the JSON "error") and, with --json
/// only, each order's result for the document.
class SyncTally {
 public:
  SyncTally(bool json, const std::vector<std::int64_t>& requested)
      : json_(json), requested_(requested) {}

  void add(std::int64_t id, const filing::ReconcileReport* report, const std::string& error) {
    if (report) {
      totals_.filed += report->filed;
      totals_.removed += report->removed;
      totals_.failed += report->failed;
      totals_.downloads += report->downloads;
    }
    if (!error.empty() && firstFailure_.empty())
      firstFailure_ = "order " + std::to_string(id) + ": " + error;
    // The per-order results are kept only for the JSON document: a text run of 10k orders
    // keeps nothing per order (peak memory independent of the number of orders, issue 15).
    if (!json_) return;
    auto item = orderResult(id, report, error);
    orders_->add(item);
    // The first requested order is the one a single `sync --order ID` reports on.
    if (!requested_.empty() && id == requested_.front())
      for (const char* key : {"filed", "removed", "failed"}) doc_->set(key, item->get(key));
  }

  const filing::ReconcileReport& totals() const { return totals_; }
  bool anyFailed() const { return !firstFailure_.empty(); }

  /// The sync's JSON document.
  Poco::JSON::Object::Ptr document(std::optional<std::size_t> retried) {
    if (!requested_.empty()) doc_->set("orderId", requested_.front());
    doc_->set("queued", false);
    if (retried) doc_->set("retried", *retried);
    if (requested_.empty()) {
      doc_->set("filed", totals_.filed);
      doc_->set("removed", totals_.removed);
      doc_->set("failed", totals_.failed);
    }
    doc_->set("orders", orders_);
    if (anyFailed()) doc_->set("error", CommandLine::oneLine(firstFailure_));
    return doc_;
  }

 private:
  bool json_;
  const std::vector<std::int64_t>& requested_;
  filing::ReconcileReport totals_;
  std::string firstFailure_;  // "" while no order failed
  Poco::JSON::Array::Ptr orders_ = new Poco::JSON::Array;
  Poco::JSON::Object::Ptr doc_ = new Poco::JSON::Object;
};

}  // namespace

std::vector<dms::CommandSpec> AdminCommands::specs() {
  return {
      {"sync", "sync [--order ID]... [--json] [--actor WHO]",
       "File what is new and remove what was withdrawn, for the given and every tracked open "
       "order"},
      {"track",
       "track ID [--reference R] [--technical-reference T] [--cadastre C] [--address A] [--json] "
       "[--actor WHO]",
       "Start tracking an order placed elsewhere (polled and synced from now on)"},
      {"status",
       "status [ID] [--page N] [--per-page K] [--search TEXT] [--state active|finished|failing] "
       "[--json]",
       "Tracked orders, their assets and where each file went"},
      {"preview", "preview --order ID [--json]",
       "Where each asset of an order would be filed, and with what metadata"},
      {"verify", "verify [--repair] [--quick] [--json] [--actor WHO]",
       "Compare the state with the target: missing, changed, orphaned files (--quick: sizes only)"},
      {"audit", "audit [--order ID] [--limit N] [--json]",
       "What was filed, moved, removed, when, and why"},
      {"failures", "failures [--json]", "Assets that failed, and orders waiting for a retry"},
      {"retry", "retry ID [--asset A] [--json] [--actor WHO]",
       "File the order's failed assets (or asset A) again now, given up or not"},
      {"costs",
       "costs [--reference R] [--from YYYY-MM-DD] [--to YYYY-MM-DD] "
       "[--by reference|category|product|month] [--csv [--bom] [--locale no]|--json]",
       "What the orders cost (net, VAT, gross), with the lines behind the totals"},
  };
}

bool AdminCommands::handles(const std::string& name) {
  return !usageOf(name).empty();
}

int AdminCommands::run(const std::string& name, const std::vector<std::string>& args,
                       const dms::CommandIO& io) noexcept {
  try {
    if (!handles(name)) {
      *io.err << "unknown command: " << name << "\n";
      return 2;
    }
    const CommandLine cl = parse(name, args);
    if (!cl.ok()) throw UsageError{cl.problem()};
    if (name == "sync") return sync(cl, io);
    if (name == "track") return track(cl, io);
    if (name == "status") return status(cl, io);
    if (name == "preview") return preview(cl, io);
    if (name == "verify") return verify(cl, io);
    if (name == "costs") return costs(cl, io);
    if (name == "failures") return failures(cl, io);
    if (name == "retry") return retry(cl, io);
    return audit(cl, io);
  } catch (const UsageError& e) {
    return CommandLine::usageError(*io.err, name + ": " + e.message, usageOf(name));
  } catch (const std::exception& e) {
    *io.err << name << ": unexpected error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    *io.err << name << ": unexpected error\n";
    return 1;
  }
}

int AdminCommands::sync(const CommandLine& cl, const dms::CommandIO& io) {
  Output output(io, "sync", cl.flag("--json"));
  std::vector<std::int64_t> requested;
  for (const auto& text : cl.all("--order")) requested.push_back(requireId("--order", text));
  for (const auto id : requested) auditRequest(cl, id, "sync requested", "sync --order");
  if (requested.empty()) auditRequest(cl, 0, "sync requested", "sync of every open order");
  if (!requested.empty())
    if (auto queued = syncQueued(requested, output)) return *queued;
  return syncHere(requested, output);
}

std::optional<int> AdminCommands::syncQueued(const std::vector<std::int64_t>& requested,
                                             Output& output, std::optional<std::size_t> retried) {
  if (!running_ || !running_->running()) return std::nullopt;
  // The service's reconciles (push reason) leave a failed asset alone until its next try: an
  // administrator's sync tries now, so the wait is cleared first.
  if (auto reset = retryNow(requested); !reset) return output.fail(reset.error().describe());
  Poco::JSON::Array::Ptr orders = new Poco::JSON::Array;
  for (const auto id : requested) {
    auto queued = running_->queueOrder(id);
    if (!queued)
      return output.fail("queueing order " + std::to_string(id) + ": " + queued.error().describe());
    if (!*queued)
      return output.fail("the service stopped while order " + std::to_string(id) +
                         " was being queued: run the command again");
    output.text() << "order " << id << ": queued to the running service\n";
    Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
    item->set("orderId", id);
    item->set("queued", true);
    orders->add(item);
  }
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object;
  doc->set("orderId", requested.front());
  doc->set("queued", true);
  if (retried) doc->set("retried", *retried);
  doc->set("orders", orders);
  output.document(doc);
  return 0;
}

int AdminCommands::syncHere(const std::vector<std::int64_t>& requested, Output& output,
                            std::optional<std::size_t> retried) {
  auto exclusive = beginRun(service_, "sync", output);
  if (!exclusive) return 1;
  auto reset = retryNow(requested);
  if (!reset) return output.fail(reset.error().describe());
  auto plan = planSync(requested);
  if (!plan) return output.fail(plan.error().describe());
  if (plan->orderIds.empty())
    output.text() << "nothing to sync: no tracked open order (use --order ID or track ID)\n";
  const auto count = plan->orderIds.size();
  SyncTally tally(output.json(), requested);
  // The orders found unchanged: their checks written together (issue 15: no transaction each).
  filing::CheckBatch checks(store_);
  // Progress lines come from the orders' threads as they happen; everything else is printed
  // by this thread, one order after the other in the plan's order.
  std::mutex outputMutex;
  auto syncNth = [&](std::size_t n) noexcept -> OrderSynced {
    try {  // on an order's thread: nothing may escape it
      const auto prefix = "[" + std::to_string(n + 1) + "/" + std::to_string(count) + "] order " +
                          std::to_string(plan->orderIds[n]) + ": ";
      filing::ProgressFn progress;
      if (output.io().terminal)
        progress = [&, prefix](const std::string& line) {
          std::lock_guard lock(outputMutex);
          output.err() << prefix << line << std::endl;
        };
      return syncOne(plan->orderIds[n], prefix, *plan, requested, progress, checks);
    } catch (const std::exception& e) {
      return {std::nullopt, std::string("unexpected error: ") + e.what(), {}};
    } catch (...) {
      return {std::nullopt, "unexpected error", {}};
    }
  };
  auto printNth = [&](std::size_t n, const OrderSynced& result) {
    {
      std::lock_guard lock(outputMutex);
      for (const auto& line : result.lines)
        (line.toErr ? output.err() : output.text()) << line.text;
    }
    tally.add(plan->orderIds[n], result.report ? &*result.report : nullptr, result.error);
  };
  // poll.workers: orders at once, in `sync` as in the service (PushWorkers).
  runInPlanOrder<OrderSynced>(count, config_.pollWorkers, syncNth, printNth);
  // A sync that wrote nothing lets the next one skip the target's walk (DataDirLock.h).
  exclusive->leaveCleanMarkIfTargetUnwritten();
  const auto checksRecorded = checks.flush();
  if (!checksRecorded) output.err() << "sync: " << checksRecorded.error().describe() << "\n";
  const auto& totals = tally.totals();
  output.text() << "sync: " << count << " order(s), " << totals.filed << " filed, "
                << totals.removed << " removed, " << totals.downloads << " download(s)"
                << (tally.anyFailed() ? ", with failures" : "") << "\n";
  output.document(tally.document(retried));
  return tally.anyFailed() || !checksRecorded ? 1 : 0;
}

dms::Result<AdminCommands::SyncPlan> AdminCommands::planSync(
    const std::vector<std::int64_t>& requested) {
  SyncPlan plan;
  // Only the few requested ids go into a set: the due ones come unique and by id
  // (forEachOrderDueForCheck's walk), so they are searched, not copied into a node each (issue
  // 15, branch pagerest: 8 bytes a tracked order here instead of ~60).
  std::set<std::int64_t> asked;
  for (auto id : requested)
    if (asked.insert(id).second) plan.orderIds.push_back(id);
  auto due = service_.ordersDueForCheck();
  if (!due) return due.error();
  for (const auto id : *due)
    if (!asked.contains(id)) plan.orderIds.push_back(id);
  const auto planned = [&](std::int64_t id) {
    return asked.contains(id) || std::binary_search(due->begin(), due->end(), id);
  };
  // Every queued message, postponed or not: an administrator's sync tries now. One entry an
  // order (queuedOrders groups them).
  if (auto queued = service_.queuedOrders(std::numeric_limits<std::int64_t>::max(), 0, 100000);
      queued) {
    for (auto& q : *queued) {
      if (!planned(q.orderId)) plan.orderIds.push_back(q.orderId);
      plan.queued.emplace(q.orderId, std::move(q));
    }
  }
  return plan;
}

AdminCommands::OrderSynced AdminCommands::syncOne(std::int64_t id, const std::string& prefix,
                                                  const SyncPlan& plan,
                                                  const std::vector<std::int64_t>& requested,
                                                  const filing::ProgressFn& progress,
                                                  filing::CheckBatch& checks) {
  OrderSynced result;
  auto err = [&](std::string line) { result.lines.push_back({true, std::move(line)}); };
  auto text = [&](std::string line) { result.lines.push_back({false, std::move(line)}); };
  auto queued = plan.queued.find(id);
  auto report = queued == plan.queued.end()
                    ? service_.reconciler().reconcile(id, Reason::Sync, progress, nullptr,
                                                      std::nullopt, &checks)
                    : service_.reconcileQueued(queued->second, Reason::Sync, progress);
  if (!report) {
    // A push naming an order Ambita does not know (mistyped or forged) is dropped once
    // reported, so that it does not fail every later sync.
    if (report.error().code == dms::ErrorCode::NotFound && queued != plan.queued.end() &&
        std::find(requested.begin(), requested.end(), id) == requested.end()) {
      auto known = store_.order(id);
      if (known && !known->has_value()) {
        if (auto s = store_.completeMessages(id, queued->second.upToSeq); !s)
          err(s.error().describe() + "\n");
        err(prefix + "unknown to Ambita: its push message(s) are dropped\n");
      }
    }
    err(prefix + "FAILED: " + report.error().describe() + "\n");
    text("order " + std::to_string(id) + ": failed: " + report.error().message + "\n");
    result.error = report.error().message;
    return result;
  }
  text("order " + std::to_string(id) + " (" + report->status +
       "): " + std::to_string(report->filed) + " filed, " + std::to_string(report->removed) +
       " removed, " + std::to_string(report->unchanged) + " unchanged, " +
       std::to_string(report->failed) + " failed" +
       (report->waiting > 0 ? ", " + std::to_string(report->waiting) + " waiting to retry" : "") +
       "\n");
  for (const auto& p : report->problems) err(prefix + p + "\n");
  if (!report->ok())
    result.error = std::to_string(report->failed) + " asset(s) failed" +
                   (report->problems.empty() ? "" : ": " + report->problems.front());
  result.report = std::move(*report);
  return result;
}

dms::Result<std::size_t> AdminCommands::retryNow(const std::vector<std::int64_t>& orderIds,
                                                 const std::string& onlyAsset) {
  std::vector<filing::AssetRecord> reset;
  std::size_t failed = 0;
  // One query a few hundred orders (a sync of 10k orders read every asset of every order here
  // before; issue 15).
  constexpr std::size_t kOrdersPerQuery = 500;
  for (std::size_t first = 0; first < orderIds.size(); first += kOrdersPerQuery) {
    const auto end = orderIds.begin() + static_cast<std::ptrdiff_t>(
                                            std::min(orderIds.size(), first + kOrdersPerQuery));
    auto assets =
        store_.failedAssetsOfOrders({orderIds.begin() + static_cast<std::ptrdiff_t>(first), end});
    if (!assets) return assets.error();
    for (auto& a : *assets) {
      if (!onlyAsset.empty() && a.assetId != onlyAsset) continue;
      ++failed;
      if (a.attempts == 0 && a.notBeforeEpoch == 0) continue;
      a.attempts = 0;
      a.notBeforeEpoch = 0;
      reset.push_back(std::move(a));
    }
  }
  if (auto s = store_.commit(reset, {}); !s) return s.error();
  return failed;
}

void AdminCommands::auditRequest(const CommandLine& cl, std::int64_t orderId,
                                 const std::string& action, const std::string& detail) {
  const auto actor = cl.single("--actor");
  if (!actor) return;  // who asked is recorded when the caller says who
  auto entry = filing::AuditLog::entry(orderId, "", action, Reason::Admin, "", detail);
  entry.actor = CommandLine::oneLine(*actor);
  // The action itself is audited as it happens; a lost request record does not stop it.
  (void)store_.commit({}, {entry});
}

int AdminCommands::retry(const CommandLine& cl, const dms::CommandIO& io) {
  if (cl.positionals().empty()) throw UsageError{"ID: the order id is required"};
  const auto id = requireId("ID", cl.positionals().front());
  const auto onlyAsset = cl.single("--asset").value_or("");
  Output output(io, "retry", cl.flag("--json"));
  auto order = store_.order(id);
  if (!order) return output.fail(order.error().describe());
  if (!*order) return output.fail("order " + std::to_string(id) + " is not tracked");
  if (!onlyAsset.empty()) {
    auto asset = store_.asset(onlyAsset);
    if (!asset) return output.fail(asset.error().describe());
    if (!*asset || (*asset)->orderId != id)
      return output.fail("asset " + onlyAsset + " is not an asset of order " + std::to_string(id));
  }
  auto retried = retryNow({id}, onlyAsset);
  if (!retried) return output.fail(retried.error().describe());
  auditRequest(cl, id, "retry requested",
               onlyAsset.empty() ? "every failed asset" : "asset " + onlyAsset);
  output.text() << "order " << id << ": " << *retried << " failed asset(s) to retry\n";
  if (auto queued = syncQueued({id}, output, *retried)) return *queued;
  // Not running: the order is synced here, under the lock, like sync --order ID.
  return syncHere({id}, output, *retried);
}

int AdminCommands::track(const CommandLine& cl, const dms::CommandIO& io) {
  if (cl.positionals().empty()) throw UsageError{"ID: the order id is required"};
  filing::TrackedOrder o;
  o.id = requireId("ID", cl.positionals().front());
  o.origin = filing::OrderOrigin::Admin;
  o.reference = cl.single("--reference").value_or("");
  o.technicalReference = cl.single("--technical-reference").value_or("");
  o.cadastre = cl.single("--cadastre").value_or("");
  o.address = cl.single("--address").value_or("");
  Output output(io, "track", cl.flag("--json"));
  auto isNew =
      service_.track(o, Reason::Admin, "", CommandLine::oneLine(cl.single("--actor").value_or("")));
  if (!isNew) return output.fail(isNew.error().describe());
  if (*isNew)
    output.text() << "tracking order " << o.id << " (filed by the next sync or poll)\n";
  else
    output.text() << "order " << o.id << " was already tracked\n";
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object;
  doc->set("orderId", o.id);
  doc->set("tracked", *isNew);
  output.document(doc);
  return 0;
}

int AdminCommands::preview(const CommandLine& cl, const dms::CommandIO& io) {
  const auto id = optionalId(cl, "--order");
  if (!id) throw UsageError{"--order ID is required"};
  Output output(io, "preview", cl.flag("--json"));
  auto entries = service_.reconciler().preview(*id);
  if (!entries) return output.fail(entries.error().describe());
  if (output.json()) {
    output.document(status::json::preview(*id, *entries));
    return 0;
  }
  auto& out = *io.out;
  out << "order " << *id << ": " << entries->size()
      << " asset(s); nothing is written by a preview\n";
  for (const auto& e : *entries) {
    out << "- " << e.action << ": " << e.path << "\n"
        << "    asset " << e.assetId << " (" << e.assetStatus << ")\n";
    for (const auto& [key, value] : e.metadata) out << "    " << key << " = " << value << "\n";
  }
  out << "(ambita.sha256, ambita.size and ambita.filedAt are added when the file is filed)\n";
  return 0;
}

int AdminCommands::verify(const CommandLine& cl, const dms::CommandIO& io) {
  const bool repair = cl.flag("--repair");
  Output output(io, "verify", cl.flag("--json"));
  auditRequest(cl, 0, "verify requested", repair ? "verify --repair" : "verify");
  // Repairing files documents: only under the data folder's lock, after recovery. While the
  // service runs it holds both, and the repair runs beside its workers (the reconciler takes
  // one order at a time).
  const bool besideService = repair && running_ && running_->running();
  const auto exclusive = repair && !besideService ? beginRun(service_, "verify", output)
                                                  : std::optional<filing::ExclusiveRun>();
  if (repair && !besideService && !exclusive) return 1;
  const auto report = service_.verify(repair, cl.flag("--quick"));
  for (const auto& e : report.errors) output.err() << "verify: " << e << "\n";
  if (output.json()) {
    auto doc = status::json::verify(report);
    if (!report.clean())
      doc->set("error", std::string(report.cancelled ? "verify: cancelled (the service is "
                                                       "stopping) after "
                                                     : "verify: ") +
                            std::to_string(report.missing) + " missing, " +
                            std::to_string(report.changed) + " changed, " +
                            std::to_string(report.orphaned) + " orphaned, " +
                            std::to_string(report.errors.size()) + " error(s)");
    output.document(doc);
    return report.clean() ? 0 : 1;
  }
  auto& out = *io.out;
  for (const auto& f : report.findings) out << label(f.kind) << f.path << " (" << f.detail << ")\n";
  out << "verify: " << report.ok << " ok, " << report.missing << " missing, " << report.changed
      << " changed, " << report.orphaned << " orphaned";
  if (repair) out << ", " << report.filedAgain << " filed again";
  out << "\n";
  return report.clean() ? 0 : 1;
}

int AdminCommands::audit(const CommandLine& cl, const dms::CommandIO& io) {
  const auto id = optionalId(cl, "--order");
  const auto limit = optionalId(cl, "--limit").value_or(10000);
  Output output(io, "audit", cl.flag("--json"));
  if (output.json()) {
    auto entries = status::StatusQuery(store_).audit(id, static_cast<std::size_t>(limit));
    if (!entries) return output.fail(entries.error().describe());
    output.document(status::json::audit(*entries));
    return 0;
  }
  filing::AuditLog log(store_);
  if (auto s = log.print(*io.out, id, static_cast<std::size_t>(limit)); !s)
    return output.fail(s.error().describe());
  return 0;
}

int AdminCommands::costs(const CommandLine& cl, const dms::CommandIO& io) {
  CostQuery query;
  query.reference = cl.single("--reference");
  query.from = cl.single("--from");
  query.to = cl.single("--to");
  query.by = cl.single("--by").value_or("");
  for (const auto& flag : {"--from", "--to"})
    if (auto date = cl.single(flag))
      if (auto s = checkReportDate(flag, *date); !s) throw UsageError{s.error().message};
  static const std::set<std::string> kGroupings{"", "reference", "category", "product", "month"};
  if (!kGroupings.count(query.by))
    throw UsageError{"--by: expected reference, category, product or month, got \"" + query.by +
                     "\""};
  const auto locale = cl.single("--locale").value_or("en");
  if (locale != "en" && locale != "no")
    throw UsageError{"--locale: expected no (semicolon, decimal comma) or en, got \"" + locale +
                     "\""};
  if (cl.flag("--csv") && cl.flag("--json"))
    throw UsageError{"--csv and --json exclude each other"};
  if (!cl.flag("--csv") && (cl.flag("--bom") || cl.single("--locale")))
    throw UsageError{"--bom and --locale shape CSV: give --csv too"};

  // The ledger a page of orders at a time: only the selected rows are held, never the whole
  // ledger (issue 15).
  constexpr std::size_t kOrdersAPage = 500;
  std::vector<CostRow> rows;
  for (auto after = filing::StateStore::kBeforeAnyOrder;;) {
    auto page = store_.ledgerOfOrdersAfter(after, kOrdersAPage);
    if (!page) {
      *io.err << "costs: " << page.error().describe() << "\n";
      return 1;
    }
    if (page->entries.empty()) break;
    selectCostRows(page->lines, page->entries, query, rows);
    after = page->lastOrderId;
  }
  const auto report = groupCostRows(std::move(rows), query);
  if (cl.flag("--csv"))
    printCostCsv(report, {locale == "no", cl.flag("--bom")}, *io.out);
  else if (cl.flag("--json"))
    printCostJson(report, *io.out);
  else
    printCostTable(report, *io.out);
  return 0;
}

}  // namespace ambita::commands
