#include "commands/AdminCommands.h"

#include <algorithm>
#include <iomanip>
#include <limits>
#include <optional>
#include <set>

#include "commands/AdminCosts.h"
#include "filing/AuditLog.h"

namespace ambita::commands {
namespace {

using filing::AssetState;
using filing::Reason;

/// Bad usage: exit code 2, with the problem naming the flag and the command's usage line.
struct UsageError {
  std::string message;
};

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

/// How each command's arguments are read.
CommandLine parse(const std::string& name, const std::vector<std::string>& args) {
  if (name == "sync") return CommandLine(args, {}, {}, {"--order"});
  if (name == "track")
    return CommandLine(args, {"--reference", "--technical-reference", "--cadastre", "--address"},
                       {}, {}, 1);
  if (name == "status") return CommandLine(args, {}, {}, {}, 1);
  if (name == "preview") return CommandLine(args, {"--order"}, {});
  if (name == "verify") return CommandLine(args, {}, {"--repair", "--quick"});
  if (name == "costs")
    return CommandLine(args, {"--reference", "--from", "--to", "--by", "--locale"},
                       {"--csv", "--json", "--bom"});
  return CommandLine(args, {"--order", "--limit"}, {});  // audit
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

/// Takes the data folder for this command; prints why it could not and returns false.
std::optional<filing::ExclusiveRun> beginRun(filing::FilingService& service,
                                             const std::string& name, const dms::CommandIO& io) {
  auto run = service.beginExclusiveRun();
  if (!run) {
    *io.err << name << ": " << run.error().message << "\n";
    return std::nullopt;
  }
  if (const auto& problem = run->spoolProblem()) *io.err << name << ": " << *problem << "\n";
  if (!run->recovery()) {
    *io.err << name << ": " << run->recovery().error().describe() << "\n";
    return std::nullopt;
  }
  if (*run->recovery() > 0)
    *io.out << "resolved " << *run->recovery() << " interrupted action(s) of an earlier run\n";
  return std::optional<filing::ExclusiveRun>(std::move(*run));
}

}  // namespace

std::vector<dms::CommandSpec> AdminCommands::specs() {
  return {
      {"sync", "sync [--order ID]...",
       "File what is new and remove what was withdrawn, for the given and every tracked open "
       "order"},
      {"track", "track ID [--reference R] [--technical-reference T] [--cadastre C] [--address A]",
       "Start tracking an order placed elsewhere (polled and synced from now on)"},
      {"status", "status [ID]", "Tracked orders, their assets and where each file went"},
      {"preview", "preview --order ID",
       "Where each asset of an order would be filed, and with what metadata"},
      {"verify", "verify [--repair] [--quick]",
       "Compare the state with the target: missing, changed, orphaned files (--quick: sizes only)"},
      {"audit", "audit [--order ID] [--limit N]", "What was filed, moved, removed, when, and why"},
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
  std::vector<std::int64_t> requested;
  for (const auto& text : cl.all("--order")) requested.push_back(requireId("--order", text));
  auto exclusive = beginRun(service_, "sync", io);
  if (!exclusive) return 1;
  if (auto s = retryNow(requested); !s) {
    *io.err << "sync: " << s.error().describe() << "\n";
    return 1;
  }
  auto plan = planSync(requested);
  if (!plan) {
    *io.err << "sync: " << plan.error().describe() << "\n";
    return 1;
  }
  if (plan->orderIds.empty()) {
    *io.out << "nothing to sync: no tracked open order (use --order ID or track ID)\n";
    return 0;
  }
  bool anyFailed = false;
  filing::ReconcileReport totals;
  const auto count = plan->orderIds.size();
  for (std::size_t n = 0; n < count; ++n) {
    const auto id = plan->orderIds[n];
    const std::string prefix = "[" + std::to_string(n + 1) + "/" + std::to_string(count) +
                               "] order " + std::to_string(id) + ": ";
    if (!syncOne(id, prefix, *plan, requested, io, totals)) anyFailed = true;
  }
  *io.out << "sync: " << count << " order(s), " << totals.filed << " filed, " << totals.removed
          << " removed, " << totals.downloads << " download(s)"
          << (anyFailed ? ", with failures" : "") << "\n";
  return anyFailed ? 1 : 0;
}

dms::Result<AdminCommands::SyncPlan> AdminCommands::planSync(
    const std::vector<std::int64_t>& requested) {
  SyncPlan plan;
  std::set<std::int64_t> seen;
  auto add = [&](std::int64_t id) {
    if (seen.insert(id).second) plan.orderIds.push_back(id);
  };
  for (auto id : requested) add(id);
  auto due = service_.ordersDueForCheck();
  if (!due) return due.error();
  for (const auto& o : *due) add(o.id);
  // Every queued message, postponed or not: an administrator's sync tries now.
  if (auto queued = service_.queuedOrders(std::numeric_limits<std::int64_t>::max(), 0, 100000);
      queued) {
    for (auto& q : *queued) {
      add(q.orderId);
      plan.queued.emplace(q.orderId, std::move(q));
    }
  }
  return plan;
}

bool AdminCommands::syncOne(std::int64_t id, const std::string& prefix, const SyncPlan& plan,
                            const std::vector<std::int64_t>& requested, const dms::CommandIO& io,
                            filing::ReconcileReport& totals) {
  filing::ProgressFn progress;
  if (io.terminal)
    progress = [&](const std::string& line) { *io.err << prefix << line << std::endl; };
  auto queued = plan.queued.find(id);
  auto report = queued == plan.queued.end()
                    ? service_.reconciler().reconcile(id, Reason::Sync, progress)
                    : service_.reconcileQueued(queued->second, Reason::Sync, progress);
  if (!report) {
    // A push naming an order Ambita does not know (mistyped or forged) is dropped once
    // reported, so that it does not fail every later sync.
    if (report.error().code == dms::ErrorCode::NotFound && queued != plan.queued.end() &&
        std::find(requested.begin(), requested.end(), id) == requested.end()) {
      auto known = store_.order(id);
      if (known && !known->has_value()) {
        if (auto s = store_.completeMessages(id, queued->second.upToSeq); !s)
          *io.err << s.error().describe() << "\n";
        *io.err << prefix << "unknown to Ambita: its push message(s) are dropped\n";
      }
    }
    *io.err << prefix << "FAILED: " << report.error().describe() << "\n";
    *io.out << "order " << id << ": failed: " << report.error().message << "\n";
    return false;
  }
  totals.filed += report->filed;
  totals.removed += report->removed;
  totals.downloads += report->downloads;
  *io.out << "order " << id << " (" << report->status << "): " << report->filed << " filed, "
          << report->removed << " removed, " << report->unchanged << " unchanged, "
          << report->failed << " failed"
          << (report->waiting > 0 ? ", " + std::to_string(report->waiting) + " waiting to retry"
                                  : "")
          << "\n";
  for (const auto& p : report->problems) *io.err << prefix << p << "\n";
  return report->ok();
}

dms::Status AdminCommands::retryNow(const std::vector<std::int64_t>& orderIds) {
  std::vector<filing::AssetRecord> reset;
  for (const auto id : orderIds) {
    auto assets = store_.assetsOfOrder(id);
    if (!assets) return assets.error();
    for (auto a : *assets) {
      if (a.state != AssetState::Failed || (a.attempts == 0 && a.notBeforeEpoch == 0)) continue;
      a.attempts = 0;
      a.notBeforeEpoch = 0;
      reset.push_back(a);
    }
  }
  return store_.commit(reset, {});
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
  auto isNew = service_.track(o, Reason::Admin);
  if (!isNew) {
    *io.err << "track: " << isNew.error().describe() << "\n";
    return 1;
  }
  if (*isNew)
    *io.out << "tracking order " << o.id << " (filed by the next sync or poll)\n";
  else
    *io.out << "order " << o.id << " was already tracked\n";
  return 0;
}

int AdminCommands::preview(const CommandLine& cl, const dms::CommandIO& io) {
  const auto id = optionalId(cl, "--order");
  if (!id) throw UsageError{"--order ID is required"};
  auto entries = service_.reconciler().preview(*id);
  if (!entries) {
    *io.err << "preview: " << entries.error().describe() << "\n";
    return 1;
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
  // Repairing files documents: only under the data folder's lock, after recovery.
  const auto exclusive =
      repair ? beginRun(service_, "verify", io) : std::optional<filing::ExclusiveRun>();
  if (repair && !exclusive) return 1;
  const auto report = service_.verify(repair, cl.flag("--quick"));
  auto& out = *io.out;
  for (const auto& f : report.findings) out << label(f.kind) << f.path << " (" << f.detail << ")\n";
  for (const auto& e : report.errors) *io.err << "verify: " << e << "\n";
  out << "verify: " << report.ok << " ok, " << report.missing << " missing, " << report.changed
      << " changed, " << report.orphaned << " orphaned";
  if (repair) out << ", " << report.filedAgain << " filed again";
  out << "\n";
  return report.clean() ? 0 : 1;
}

int AdminCommands::audit(const CommandLine& cl, const dms::CommandIO& io) {
  const auto id = optionalId(cl, "--order");
  const auto limit = optionalId(cl, "--limit").value_or(10000);
  filing::AuditLog log(store_);
  if (auto s = log.print(*io.out, id, static_cast<std::size_t>(limit)); !s) {
    *io.err << "audit: " << s.error().describe() << "\n";
    return 1;
  }
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

  auto lines = store_.ledgerLines(std::nullopt);
  auto entries = store_.ledgerEntries(std::nullopt);
  if (!lines || !entries) {
    *io.err << "costs: " << (lines ? entries.error() : lines.error()).describe() << "\n";
    return 1;
  }
  const auto report = buildCostReport(*lines, *entries, query);
  if (cl.flag("--csv"))
    printCostCsv(report, {locale == "no", cl.flag("--bom")}, *io.out);
  else if (cl.flag("--json"))
    printCostJson(report, *io.out);
  else
    printCostTable(report, *io.out);
  return 0;
}

}  // namespace ambita::commands
