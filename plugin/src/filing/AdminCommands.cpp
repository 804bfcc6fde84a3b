#include "filing/AdminCommands.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <array>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "filing/AuditLog.h"
#include "filing/DataDirLock.h"

namespace ambita::filing {
namespace {

/// A usage error: exit code 2 with a message naming the flag.
struct UsageError {
  std::string message;
};

std::optional<std::int64_t> parseId(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value <= 0) return std::nullopt;
  return value;
}

std::int64_t requireId(const std::string& flag, const std::string& text) {
  auto id = parseId(text);
  if (!id) throw UsageError{flag + ": expected a positive order id, got \"" + text + "\""};
  return *id;
}

/// "--flag value" or "--flag=value"; advances i past the value.
std::string flagValue(const std::vector<std::string>& args, std::size_t& i,
                      const std::string& flag) {
  const auto& arg = args[i];
  if (arg.size() > flag.size() && arg.compare(0, flag.size() + 1, flag + "=") == 0)
    return arg.substr(flag.size() + 1);
  if (i + 1 >= args.size()) throw UsageError{flag + ": missing value"};
  return args[++i];
}

bool isFlag(const std::string& arg, const std::string& flag) {
  return arg == flag || arg.rfind(flag + "=", 0) == 0;
}

bool recentlyFinished(const TrackedOrder& o, int days) {
  if (o.finishedAt.empty()) return true;
  int tzd = 0;
  Poco::DateTime finished;
  if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, o.finishedAt, finished,
                                      tzd))
    return true;
  return Poco::Timespan(Poco::Timestamp() - finished.timestamp()).days() < days;
}

dms::Result<std::string> contentSha256(dms::DocumentTarget& target, const std::string& path) {
  auto in = target.get(path);
  if (!in) return in.error();
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  std::array<char, 64 * 1024> buffer{};
  auto& stream = **in;
  while (stream) {
    stream.read(buffer.data(), buffer.size());
    if (stream.gcount() > 0) sha.update(buffer.data(), static_cast<unsigned>(stream.gcount()));
  }
  if (stream.bad()) return dms::fail(dms::ErrorCode::DataLoss, "reading '" + path + "' failed");
  return Poco::DigestEngine::digestToHex(sha.digest());
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
  };
}

bool AdminCommands::handles(const std::string& name) {
  for (const auto& spec : specs())
    if (spec.name == name) return true;
  return false;
}

int AdminCommands::run(const std::string& name, const std::vector<std::string>& args,
                       const dms::CommandIO& io) noexcept {
  try {
    if (name == "sync") return sync(args, io);
    if (name == "track") return track(args, io);
    if (name == "status") return status(args, io);
    if (name == "preview") return preview(args, io);
    if (name == "verify") return verify(args, io);
    if (name == "audit") return audit(args, io);
    *io.err << "unknown command: " << name << "\n";
    return 2;
  } catch (const UsageError& e) {
    *io.err << name << ": " << e.message << "\n";
    for (const auto& spec : specs())
      if (spec.name == name) *io.err << "usage: " << spec.usage << "\n";
    return 2;
  } catch (const std::exception& e) {
    *io.err << name << ": unexpected error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    *io.err << name << ": unexpected error\n";
    return 1;
  }
}

int AdminCommands::sync(const std::vector<std::string>& args, const dms::CommandIO& io) {
  std::vector<std::int64_t> requested;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (isFlag(args[i], "--order"))
      requested.push_back(requireId("--order", flagValue(args, i, "--order")));
    else
      throw UsageError{"unexpected argument \"" + args[i] + "\""};
  }
  auto lock = DataDirLock::acquire(dataDir_, target_);
  if (!lock) {
    *io.err << "sync: " << lock.error().message << "\n";
    return 1;
  }
  reconciler_.resetStop();
  if (auto s = retryNow(requested); !s) {
    *io.err << "sync: " << s.error().describe() << "\n";
    return 1;
  }
  // A previous run may have been killed: finish or undo what it left, then clear the spool.
  if (auto recovered = reconciler_.recoverAll(); !recovered) {
    *io.err << "sync: " << recovered.error().describe() << "\n";
    return 1;
  } else if (*recovered > 0) {
    *io.out << "resolved " << *recovered << " interrupted action(s) of an earlier run\n";
  }
  if (auto s = reconciler_.cleanSpool(); !s) *io.err << "sync: " << s.error().describe() << "\n";

  std::vector<std::int64_t> orderIds;
  std::set<std::int64_t> seen;
  auto add = [&](std::int64_t id) {
    if (seen.insert(id).second) orderIds.push_back(id);
  };
  for (auto id : requested) add(id);
  auto tracked = store_.orders();
  if (!tracked) {
    *io.err << "sync: " << tracked.error().describe() << "\n";
    return 1;
  }
  for (const auto& o : *tracked)
    if (recentlyFinished(o, config_.pollFinishedDays)) add(o.id);
  std::map<std::int64_t, std::int64_t> inboxUpTo;
  // Queued messages say only which orders to look at (and whether a push named them); the
  // GET says the rest.
  std::map<std::int64_t, TrackedOrder> hints;
  auto inbox = store_.dueMessages(std::numeric_limits<std::int64_t>::max(), 0, 100000);
  if (inbox) {
    for (const auto& m : *inbox) {
      add(m.orderId);
      inboxUpTo[m.orderId] = std::max(inboxUpTo[m.orderId], m.seq);
      auto& hint = hints[m.orderId];
      hint.id = m.orderId;
      hint.origin = m.source == "push" ? OrderOrigin::Push : OrderOrigin::Poll;
      hint.trackedAt = AuditLog::now();
    }
  }
  if (orderIds.empty()) {
    *io.out << "nothing to sync: no tracked open order (use --order ID or track ID)\n";
    return 0;
  }
  bool anyFailed = false;
  std::size_t totalFiled = 0, totalRemoved = 0, totalDownloads = 0;
  for (std::size_t n = 0; n < orderIds.size(); ++n) {
    const auto id = orderIds[n];
    const std::string prefix = "[" + std::to_string(n + 1) + "/" + std::to_string(orderIds.size()) +
                               "] order " + std::to_string(id) + ": ";
    ProgressFn progress;
    if (io.terminal)
      progress = [&](const std::string& line) { *io.err << prefix << line << std::endl; };
    auto hint = hints.find(id);
    auto report = reconciler_.reconcile(id, Reason::Sync, progress,
                                        hint == hints.end() ? nullptr : &hint->second);
    if (!report) {
      anyFailed = true;
      // A push naming an order Ambita does not know (mistyped or forged) is dropped once
      // reported, so that it does not fail every later sync.
      auto queued = inboxUpTo.find(id);
      if (report.error().code == dms::ErrorCode::NotFound && queued != inboxUpTo.end() &&
          seen.count(id) != 0 &&
          std::find(requested.begin(), requested.end(), id) == requested.end()) {
        auto known = store_.order(id);
        if (known && !known->has_value()) {
          if (auto s = store_.completeMessages(id, queued->second); !s)
            *io.err << s.error().describe() << "\n";
          *io.err << prefix << "unknown to Ambita: its push message(s) are dropped\n";
        }
      }
      *io.err << prefix << "FAILED: " << report.error().describe() << "\n";
      *io.out << "order " << id << ": failed: " << report.error().message << "\n";
      continue;
    }
    totalFiled += report->filed;
    totalRemoved += report->removed;
    totalDownloads += report->downloads;
    *io.out << "order " << id << " (" << report->status << "): " << report->filed << " filed, "
            << report->removed << " removed, " << report->unchanged << " unchanged, "
            << report->failed << " failed"
            << (report->waiting > 0 ? ", " + std::to_string(report->waiting) + " waiting to retry"
                                    : "")
            << "\n";
    for (const auto& p : report->problems) *io.err << prefix << p << "\n";
    if (!report->ok()) {
      anyFailed = true;
    } else if (auto it = inboxUpTo.find(id); it != inboxUpTo.end()) {
      if (auto s = store_.completeMessages(id, it->second); !s)
        *io.err << s.error().describe() << "\n";
    }
  }
  *io.out << "sync: " << orderIds.size() << " order(s), " << totalFiled << " filed, "
          << totalRemoved << " removed, " << totalDownloads << " download(s)"
          << (anyFailed ? ", with failures" : "") << "\n";
  reconciler_.releasePool();
  return anyFailed ? 1 : 0;
}

dms::Status AdminCommands::retryNow(const std::vector<std::int64_t>& orderIds) {
  std::vector<AssetRecord> reset;
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

void AdminCommands::printWaitingOrders(std::ostream& out) {
  auto inbox = store_.dueMessages(std::numeric_limits<std::int64_t>::max(), 0, 100000);
  if (!inbox) return;
  for (const auto& m : *inbox) {
    if (m.attempts == 0) continue;
    out << "waiting: order " << m.orderId << " (" << m.source << "), " << m.attempts
        << " failed attempt(s)";
    // A message left by an older plugin does not know when it first failed.
    if (m.firstFailureEpoch > 0) out << " since " << AuditLog::at(m.firstFailureEpoch);
    out << ", next try " << AuditLog::at(m.notBeforeEpoch) << ": " << m.lastError << "\n";
  }
}

int AdminCommands::track(const std::vector<std::string>& args, const dms::CommandIO& io) {
  TrackedOrder o;
  o.origin = OrderOrigin::Admin;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (isFlag(a, "--reference"))
      o.reference = flagValue(args, i, "--reference");
    else if (isFlag(a, "--technical-reference"))
      o.technicalReference = flagValue(args, i, "--technical-reference");
    else if (isFlag(a, "--cadastre"))
      o.cadastre = flagValue(args, i, "--cadastre");
    else if (isFlag(a, "--address"))
      o.address = flagValue(args, i, "--address");
    else if (o.id == 0 && a.rfind("--", 0) != 0)
      o.id = requireId("ID", a);
    else
      throw UsageError{"unexpected argument \"" + a + "\""};
  }
  if (o.id == 0) throw UsageError{"ID: the order id is required"};
  o.trackedAt = AuditLog::now();
  auto isNew = store_.trackOrder(o);
  if (!isNew) {
    *io.err << "track: " << isNew.error().describe() << "\n";
    return 1;
  }
  if (*isNew) {
    if (auto s = store_.commit({}, {AuditLog::entry(o.id, "", "tracked", Reason::Admin, "")}); !s) {
      *io.err << "track: " << s.error().describe() << "\n";
      return 1;
    }
    *io.out << "tracking order " << o.id << " (filed by the next sync or poll)\n";
  } else {
    *io.out << "order " << o.id << " was already tracked\n";
  }
  return 0;
}

int AdminCommands::status(const std::vector<std::string>& args, const dms::CommandIO& io) {
  std::optional<std::int64_t> only;
  for (const auto& a : args) {
    if (only || a.rfind("--", 0) == 0) throw UsageError{"unexpected argument \"" + a + "\""};
    only = requireId("ID", a);
  }
  auto orders = store_.orders();
  if (!orders) {
    *io.err << "status: " << orders.error().describe() << "\n";
    return 1;
  }
  auto& out = *io.out;
  if (!only) {
    if (orders->empty()) {
      out << "no tracked orders\n";
    } else {
      out << std::left << std::setw(12) << "ORDER" << std::setw(10) << "ORIGIN" << std::setw(11)
          << "STATUS" << std::setw(7) << "FILED" << std::setw(8) << "REMOVED" << std::setw(7)
          << "FAILED" << std::setw(22) << "CHECKED"
          << "REFERENCE\n";
      for (const auto& o : *orders) {
        auto assets = store_.assetsOfOrder(o.id);
        std::size_t filed = 0, removed = 0, failed = 0;
        if (assets) {
          for (const auto& a : *assets) {
            filed += a.state == AssetState::Filed;
            removed += a.state == AssetState::Removed;
            failed += a.state == AssetState::Failed || a.state == AssetState::Filing ||
                      a.state == AssetState::Removing;
          }
        }
        out << std::left << std::setw(12) << o.id << std::setw(10) << toString(o.origin)
            << std::setw(11) << (o.status.empty() ? "-" : o.status) << std::setw(7) << filed
            << std::setw(8) << removed << std::setw(7) << failed << std::setw(22)
            << (o.checkedAt.empty() ? "never" : o.checkedAt) << o.reference << "\n";
      }
    }
    if (auto n = store_.inboxSize(); n) out << "push inbox: " << *n << " message(s) waiting\n";
    printWaitingOrders(out);
    return 0;
  }
  auto order = store_.order(*only);
  if (!order) {
    *io.err << "status: " << order.error().describe() << "\n";
    return 1;
  }
  if (!*order) {
    *io.err << "status: order " << *only << " is not tracked (track it with: track " << *only
            << ")\n";
    return 1;
  }
  const auto& o = **order;
  out << "order " << o.id << "\n"
      << "  status:    " << (o.status.empty() ? "not checked yet" : o.status) << "\n"
      << "  origin:    " << toString(o.origin) << " (tracked " << o.trackedAt << ")\n"
      << "  checked:   " << (o.checkedAt.empty() ? "never" : o.checkedAt) << "\n";
  if (!o.finishedAt.empty()) out << "  finished:  " << o.finishedAt << "\n";
  if (!o.reference.empty()) out << "  reference: " << o.reference << "\n";
  if (!o.technicalReference.empty())
    out << "  technical reference: " << o.technicalReference << "\n";
  if (!o.cadastre.empty()) out << "  cadastre:  " << o.cadastre << "\n";
  if (!o.address.empty()) out << "  address:   " << o.address << "\n";
  auto assets = store_.assetsOfOrder(o.id);
  if (!assets) {
    *io.err << "status: " << assets.error().describe() << "\n";
    return 1;
  }
  out << "  assets:    " << assets->size() << "\n";
  for (const auto& a : *assets) {
    out << "  - " << a.assetId << "  " << toString(a.state) << " (Ambita: " << a.remoteStatus
        << ")\n";
    if (!a.path.empty()) out << "      path:   " << a.path << "\n";
    if (!a.targetPath.empty()) out << "      moved:  " << a.targetPath << "\n";
    if (a.state == AssetState::Filed)
      out << "      size:   " << a.size << " bytes, sha256 " << a.sha256 << ", filed " << a.filedAt
          << "\n";
    if (!a.removedAt.empty()) out << "      removed: " << a.removedAt << "\n";
    if (!a.lastError.empty()) out << "      error:  " << a.lastError << "\n";
    if (a.state == AssetState::Failed && a.attempts > 0) {
      if (Reconciler::givenUp(a, config_))
        out << "      given up after " << a.attempts
            << " attempts (filing.maxAttempts): retry with sync --order " << a.orderId << "\n";
      else
        out << "      waiting: attempt " << a.attempts << " of " << config_.assetMaxAttempts
            << " failed, next try " << AuditLog::at(a.notBeforeEpoch) << "\n";
    }
  }
  return 0;
}

int AdminCommands::preview(const std::vector<std::string>& args, const dms::CommandIO& io) {
  std::optional<std::int64_t> id;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (isFlag(args[i], "--order") && !id)
      id = requireId("--order", flagValue(args, i, "--order"));
    else
      throw UsageError{"unexpected argument \"" + args[i] + "\""};
  }
  if (!id) throw UsageError{"--order ID is required"};
  auto entries = reconciler_.preview(*id);
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

int AdminCommands::verify(const std::vector<std::string>& args, const dms::CommandIO& io) {
  bool repair = false;
  bool quick = false;
  for (const auto& a : args) {
    if (a == "--repair")
      repair = true;
    else if (a == "--quick")
      quick = true;
    else
      throw UsageError{"unexpected argument \"" + a + "\""};
  }
  std::optional<DataDirLock> lock;
  if (repair) {
    auto l = DataDirLock::acquire(dataDir_, target_);
    if (!l) {
      *io.err << "verify: " << l.error().message << "\n";
      return 1;
    }
    lock.emplace(std::move(*l));
    reconciler_.resetStop();
    if (auto r = reconciler_.recoverAll(); !r) {
      *io.err << "verify: " << r.error().describe() << "\n";
      return 1;
    }
  }
  auto filed = store_.filedAssets();
  if (!filed) {
    *io.err << "verify: " << filed.error().describe() << "\n";
    return 1;
  }
  auto& out = *io.out;
  std::size_t ok = 0, missing = 0, changed = 0, orphaned = 0, errors = 0;
  std::set<std::int64_t> toRepair;
  std::map<std::string, std::string> expected;  // path -> asset id
  for (const auto& a : *filed) {
    expected[a.path] = a.assetId;
    auto st = target_.stat(a.path);
    if (!st) {
      if (st.error().code == dms::ErrorCode::NotFound) {
        ++missing;
        out << "missing:  " << a.path << " (asset " << a.assetId << ", order " << a.orderId
            << ")\n";
        toRepair.insert(a.orderId);
        if (repair)
          if (auto s = store_.forgetAsset(a.assetId); !s)
            *io.err << "verify: " << s.error().describe() << "\n";
      } else {
        ++errors;
        *io.err << "verify: " << a.path << ": " << st.error().describe() << "\n";
      }
      continue;
    }
    if (st->size != a.size) {
      ++changed;
      out << "changed:  " << a.path << " (size " << st->size << ", filed with " << a.size << ")\n";
      continue;
    }
    if (quick) {  // sizes only: no file is read
      ++ok;
      continue;
    }
    auto sha = contentSha256(target_, a.path);
    if (!sha) {
      ++errors;
      *io.err << "verify: " << a.path << ": " << sha.error().describe() << "\n";
      continue;
    }
    if (!a.sha256.empty() && *sha != a.sha256) {
      ++changed;
      out << "changed:  " << a.path << " (SHA-256 differs from the filed content)\n";
      continue;
    }
    ++ok;
  }
  // Orphans: files carrying our asset id that the state does not place there.
  auto removed = store_.orders();
  std::set<std::string> movedPaths;
  if (removed) {
    for (const auto& o : *removed) {
      if (auto assets = store_.assetsOfOrder(o.id); assets)
        for (const auto& a : *assets)
          if (a.state == AssetState::Removed && !a.targetPath.empty())
            movedPaths.insert(a.targetPath);
    }
  }
  std::vector<std::string> folders{""};
  while (!folders.empty()) {
    const std::string folder = folders.back();
    folders.pop_back();
    auto entries = target_.list(folder);
    if (!entries) {
      ++errors;
      *io.err << "verify: listing '" << folder << "': " << entries.error().describe() << "\n";
      continue;
    }
    for (const auto& e : *entries) {
      if (e.type == dms::EntryType::Folder) {
        folders.push_back(e.path);
        continue;
      }
      if (expected.count(e.path) != 0 || movedPaths.count(e.path) != 0) continue;
      auto md = target_.readMetadata(e.path);
      if (!md) continue;
      auto it = md->find("ambita.assetId");
      if (it == md->end()) continue;  // not ours
      ++orphaned;
      out << "orphaned: " << e.path << " (asset " << it->second << " is not recorded there)\n";
    }
  }
  std::size_t repaired = 0;
  if (repair && !toRepair.empty()) {
    for (auto orderId : toRepair) {
      auto report = reconciler_.reconcile(orderId, Reason::Admin);
      if (!report) {
        ++errors;
        *io.err << "verify: repairing order " << orderId << ": " << report.error().describe()
                << "\n";
        continue;
      }
      repaired += report->filed;
      for (const auto& p : report->problems) *io.err << "verify: " << p << "\n";
      if (!report->ok()) ++errors;
    }
    reconciler_.releasePool();
  }
  out << "verify: " << ok << " ok, " << missing << " missing, " << changed << " changed, "
      << orphaned << " orphaned";
  if (repair) out << ", " << repaired << " filed again";
  out << "\n";
  const bool clean = errors == 0 && changed == 0 && orphaned == 0 &&
                     (missing == 0 || (repair && repaired >= missing));
  return clean ? 0 : 1;
}

int AdminCommands::audit(const std::vector<std::string>& args, const dms::CommandIO& io) {
  std::optional<std::int64_t> id;
  std::size_t limit = 10000;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (isFlag(args[i], "--order"))
      id = requireId("--order", flagValue(args, i, "--order"));
    else if (isFlag(args[i], "--limit"))
      limit = static_cast<std::size_t>(requireId("--limit", flagValue(args, i, "--limit")));
    else
      throw UsageError{"unexpected argument \"" + args[i] + "\""};
  }
  AuditLog log(store_);
  if (auto s = log.print(*io.out, id, limit); !s) {
    *io.err << "audit: " << s.error().describe() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ambita::filing
