#include "filing/FilingService.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <array>
#include <map>

#include "filing/AuditLog.h"

namespace ambita::filing {
namespace {

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

ExclusiveRun::ExclusiveRun(std::optional<DataDirLock> lock,
                           std::unique_ptr<StateStore::Lease> filingLease, Reconciler& reconciler,
                           dms::Result<std::size_t> recovery,
                           std::optional<std::string> spoolProblem)
    : lock_(std::move(lock)),
      filingLease_(std::move(filingLease)),
      reconciler_(&reconciler),
      recovery_(std::move(recovery)),
      spoolProblem_(std::move(spoolProblem)) {}

ExclusiveRun::ExclusiveRun(ExclusiveRun&& other) noexcept
    : lock_(std::move(other.lock_)),
      filingLease_(std::move(other.filingLease_)),
      reconciler_(std::exchange(other.reconciler_, nullptr)),
      recovery_(std::move(other.recovery_)),
      spoolProblem_(std::move(other.spoolProblem_)),
      cleanMarkWanted_(other.cleanMarkWanted_) {}

ExclusiveRun::~ExclusiveRun() {
  // The download pool's threads end before the lock says another process may file.
  if (reconciler_ != nullptr) reconciler_->releasePool();
  // Every call of the run has returned: whether it wrote is known for good.
  if (cleanMarkWanted_ && lock_ && reconciler_ != nullptr && !reconciler_->wroteToTarget())
    lock_->leaveCleanMarkOnRelease();
}

dms::Result<ExclusiveRun> FilingService::beginExclusiveRun() {
  std::optional<std::string> spoolProblem;
  if (store_.sharedByProcesses()) {
    auto lease = takeFilingLease(spoolProblem);
    if (!lease) return lease.error();
    reconciler_.resetStop();
    // No data folder lock here: a later lock holder must not trust a mark from before this.
    DataDirLock::forgetCleanMark(dataDir_);
    // Each order's intents are resolved under its lease (orders held elsewhere are skipped).
    auto recovery = reconciler_.recoverAll();
    return ExclusiveRun(std::nullopt, std::move(*lease), reconciler_, std::move(recovery),
                        std::move(spoolProblem));
  }
  auto lock = DataDirLock::acquire(dataDir_, target_, reconciler_.logger());
  if (!lock) return lock.error();
  reconciler_.resetStop();
  reconciler_.forgetTargetWrites();  // the writes of this run decide its clean mark
  // What a killed run left behind is resolved before anything new starts; under the lock no
  // other process downloads, so every spool file is a leftover.
  auto recovery = reconciler_.recoverAll();
  if (auto s = reconciler_.cleanSpool(); !s) spoolProblem = s.error().describe();
  return ExclusiveRun(std::move(*lock), nullptr, reconciler_, std::move(recovery),
                      std::move(spoolProblem));
}

dms::Result<bool> FilingService::track(TrackedOrder order, Reason reason, const std::string& detail,
                                       const std::string& actor) {
  return trackAndAudit(store_, std::move(order), reason, detail, actor);
}

bool dueForCheck(const TrackedOrder& order, int finishedDays) {
  return dueForCheck(order.finishedAt, finishedDays);
}

bool dueForCheck(const std::string& finishedAt, int finishedDays) {
  if (finishedAt.empty()) return true;
  int tzd = 0;
  Poco::DateTime finished;
  if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, finishedAt, finished,
                                      tzd))
    return true;
  return Poco::Timespan(Poco::Timestamp() - finished.timestamp()).days() < finishedDays;
}

dms::Status forEachOrderDueForCheck(StateStore& store, int finishedDays,
                                    const std::function<void(std::int64_t)>& due) {
  constexpr std::size_t kPage = 500;
  for (auto after = StateStore::kBeforeAnyOrder;;) {
    auto page = store.orderFinishTimesAfter(after, kPage);
    if (!page) return page.error();
    for (const auto& o : *page)
      if (dueForCheck(o.finishedAt, finishedDays)) due(o.id);
    if (page->size() < kPage) return {};
    after = page->back().id;
  }
}

dms::Result<std::vector<std::int64_t>> FilingService::ordersDueForCheck() {
  std::vector<std::int64_t> due;
  if (auto s = forEachOrderDueForCheck(store_, config_.pollFinishedDays,
                                       [&](std::int64_t id) { due.push_back(id); });
      !s)
    return s.error();
  return due;
}

std::vector<QueuedOrder> groupByOrder(const std::vector<InboxMessage>& messages) {
  std::vector<QueuedOrder> orders;
  std::map<std::int64_t, std::size_t> indexOf;
  for (const auto& m : messages) {
    auto [it, isNew] = indexOf.try_emplace(m.orderId, orders.size());
    if (isNew) orders.push_back(QueuedOrder{m.orderId, 0, OrderOrigin::Poll, {}});
    auto& queued = orders[it->second];
    queued.upToSeq = std::max(queued.upToSeq, m.seq);
    if (m.source == "push") queued.origin = OrderOrigin::Push;
    queued.messages.push_back(m);
  }
  return orders;
}

dms::Result<std::vector<QueuedOrder>> FilingService::queuedOrders(std::int64_t nowEpoch,
                                                                  std::int64_t longestWaitSeconds,
                                                                  std::size_t limit) {
  auto due = store_.dueMessages(nowEpoch, longestWaitSeconds, limit);
  if (!due) return due.error();
  return groupByOrder(*due);
}

dms::Result<ReconcileReport> FilingService::reconcileQueued(const QueuedOrder& queued,
                                                            std::optional<Reason> reason,
                                                            const ProgressFn& progress) {
  // Only the order id of a message counts: reference and everything else come from the
  // authenticated GET.
  TrackedOrder hint;
  hint.id = queued.orderId;
  hint.origin = queued.origin;
  hint.trackedAt = AuditLog::now();
  // A successful reconcile removes the messages in its last commit (issue 15: two commits a
  // pushed order, and no crash between filing and answering).
  return reconciler_.reconcile(queued.orderId, reason.value_or(queued.reason()), progress, &hint,
                               AnsweredMessages{queued.orderId, queued.upToSeq});
}

VerifyReport FilingService::verify(bool repair, bool quick) {
  VerifyReport report;
  report.repaired = repair;
  // Page by page (issue 15: memory flat whatever the archive's size). The key of the last
  // asset read is the cursor.
  constexpr std::size_t kVerifyPage = 500;
  MissingFiles toRepair;
  std::int64_t afterOrderId = StateStore::kBeforeAnyOrder;
  std::string afterAssetId;
  for (;;) {
    auto filed = store_.filedAssetsAfter(afterOrderId, afterAssetId, kVerifyPage);
    if (!filed) {
      report.errors.push_back(filed.error().describe());
      return report;
    }
    for (const auto& a : *filed) {
      if (cancelledNow(report)) return report;
      const auto missingBefore = report.missing;
      checkFiled(a, quick, report);
      if (repair && report.missing > missingBefore) toRepair[a.orderId].insert(a.assetId);
    }
    if (filed->size() < kVerifyPage) break;
    afterOrderId = filed->back().orderId;
    afterAssetId = filed->back().assetId;
  }
  findOrphans(report);
  if (repair && !report.cancelled) refileOrders(toRepair, report);
  return report;
}

bool FilingService::cancelledNow(VerifyReport& report) const {
  if (report.cancelled || !commandsCancelled_) return report.cancelled;
  report.cancelled = true;
  report.errors.push_back("cancelled: the service is stopping; the rest was not checked" +
                          std::string(report.repaired ? " or repaired" : ""));
  return true;
}

void FilingService::checkFiled(const AssetRecord& a, bool quick, VerifyReport& report) {
  using Kind = VerifyReport::Kind;
  auto st = target_.stat(a.path);
  if (!st) {
    if (st.error().code != dms::ErrorCode::NotFound) {
      report.errors.push_back(a.path + ": " + st.error().describe());
      return;
    }
    ++report.missing;
    report.findings.push_back(
        {Kind::Missing, a.path, "asset " + a.assetId + ", order " + std::to_string(a.orderId)});
    return;
  }
  if (st->size != a.size) {
    ++report.changed;
    report.findings.push_back(
        {Kind::Changed, a.path,
         "size " + std::to_string(st->size) + ", filed with " + std::to_string(a.size)});
    return;
  }
  if (quick) {  // sizes only: no file is read
    ++report.ok;
    return;
  }
  auto sha = contentSha256(target_, a.path);
  if (!sha) {
    report.errors.push_back(a.path + ": " + sha.error().describe());
    return;
  }
  if (!a.sha256.empty() && *sha != a.sha256) {
    ++report.changed;
    report.findings.push_back({Kind::Changed, a.path, "SHA-256 differs from the filed content"});
    return;
  }
  ++report.ok;
}

void FilingService::findOrphans(VerifyReport& report) {
  // Files carrying our asset id that the state does not place there (a filed file, or a moved
  // one). Asked per file found (an indexed lookup) instead of holding every recorded path:
  // memory stays flat whatever the archive's size (issue 15).
  // A tree deeper than any this plugin files is not searched below the bound: a broken or
  // hostile listing could show one without end.
  struct Folder {
    std::string path;
    int depth = 0;
  };
  std::vector<Folder> folders{{"", 0}};
  while (!folders.empty() && !cancelledNow(report)) {
    const auto [folder, depth] = std::move(folders.back());
    folders.pop_back();
    auto entries = target_.list(folder);
    if (!entries) {
      report.errors.push_back("listing '" + folder + "': " + entries.error().describe());
      continue;
    }
    for (const auto& e : *entries) {
      if (cancelledNow(report)) return;
      if (e.type == dms::EntryType::Folder && depth >= dms::kMaxFolderDepth) {
        report.errors.push_back("'" + e.path + "' not searched: deeper than " +
                                std::to_string(dms::kMaxFolderDepth) + " folders");
        continue;
      }
      if (e.type == dms::EntryType::Folder) {
        folders.push_back({e.path, depth + 1});
        continue;
      }
      auto placed = store_.placesFileAt(e.path);
      if (!placed) {
        report.errors.push_back(e.path + ": " + placed.error().describe());
        continue;
      }
      if (*placed) continue;
      auto md = target_.readMetadata(e.path);
      if (!md) continue;
      auto it = md->find("ambita.assetId");
      if (it == md->end()) continue;  // not ours
      ++report.orphaned;
      report.findings.push_back(
          {VerifyReport::Kind::Orphaned, e.path, "asset " + it->second + " is not recorded there"});
    }
  }
}

void FilingService::refileOrders(const MissingFiles& missing, VerifyReport& report) {
  for (const auto& [orderId, assetIds] : missing) {
    if (cancelledNow(report)) return;
    auto reconciled = reconciler_.reconcile(orderId, Reason::Admin, {}, nullptr, std::nullopt,
                                            nullptr, &assetIds);
    if (!reconciled) {
      report.errors.push_back("repairing order " + std::to_string(orderId) + ": " +
                              reconciled.error().describe());
      continue;
    }
    report.filedAgain += reconciled->filed;
    for (const auto& p : reconciled->problems) report.errors.push_back(p);
    if (!reconciled->ok() && reconciled->problems.empty())
      report.errors.push_back("repairing order " + std::to_string(orderId) + ": " +
                              std::to_string(reconciled->failed) + " file(s) failed");
  }
}

}  // namespace ambita::filing
