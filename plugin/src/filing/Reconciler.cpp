#include "filing/Reconciler.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include "filing/CheckBatch.h"
#include "filing/CostLedger.h"
#include "filing/HeldBody.h"
#include "filing/OrderPlan.h"
#include "filing/SafeName.h"

namespace ambita::filing {
namespace {

constexpr const char* kSource = "ambita.filing";
constexpr int kMaxNameVariants = 999;
/// Puts of one file before giving up for this reconcile (a name taken again each time).
constexpr int kMaxPutAttempts = 20;
/// Download bodies held in memory for a target without a streaming put (HeldBody): what all
/// filing threads hold together at most, and the bounds of one body (beyond: spooled).
constexpr std::size_t kHeldBodiesBudget = 8 << 20;
constexpr std::size_t kMaxHeldBodyBytes = 1 << 20;
constexpr std::size_t kMinHeldBodyBytes = 64 << 10;
/// How long a folder change waits for a colliding one of another order (that one's target
/// call, a few requests with their retries at worst); requestStop() ends the wait at once.
constexpr std::chrono::minutes kFolderChangeWait{15};

OrderOrigin originFor(Reason reason) {
  switch (reason) {
    case Reason::Push:
      return OrderOrigin::Push;
    case Reason::Poll:
      return OrderOrigin::Poll;
    default:
      return OrderOrigin::Admin;
  }
}

/// True when `pending` records nothing but that `stored` was checked again: its status (and so
/// whether and when it finished) as stored, nothing tracked, filed, audited, charged or answered.
bool onlyTheCheck(const OrderChanges& pending, const TrackedOrder& stored) {
  return pending.status && pending.status->status == stored.status &&
         pending.status->final == !stored.finishedAt.empty() && !pending.track &&
         pending.assets.empty() && pending.audit.empty() && pending.ledgerLines.empty() &&
         pending.ledgerEntries.empty() && !pending.answered;
}

}  // namespace

/// One asset to file: what it is, where it goes, and the record that tracks it.
struct Reconciler::FileJob {
  AssetContext context;
  MappedAsset mapped;
  AssetRecord record;
  std::optional<AssetRecord> before;  ///< the record before this reconcile (none: a new asset)
  std::vector<AuditEntry> audit;
  std::string problem;     ///< set on failure
  bool cancelled = false;  ///< the problem's cause answered Cancelled (stop()): not a failure
  bool downloaded = false;
  bool staged = false;  ///< put into the order's batch: filed once the batch commit placed it

  /// Sets the problem; `cause` is the error that made it (Cancelled: stop() ended the job).
  void fail(std::string why, dms::ErrorCode cause) {
    problem = std::move(why);
    cancelled = cause == dms::ErrorCode::Cancelled;
  }
};

/// Waits until no other thread reconciles the same order, and holds it until destroyed.
class Reconciler::OrderLock {
 public:
  OrderLock(Reconciler& owner, std::int64_t orderId) : owner_(owner), orderId_(orderId) {
    std::unique_lock lock(owner_.busyMutex_);
    owner_.busyCv_.wait(lock, [&] { return owner_.busy_.count(orderId_) == 0; });
    owner_.busy_.insert(orderId_);
  }
  ~OrderLock() {
    {
      std::lock_guard lock(owner_.busyMutex_);
      owner_.busy_.erase(orderId_);
    }
    owner_.busyCv_.notify_all();
  }
  OrderLock(const OrderLock&) = delete;
  OrderLock& operator=(const OrderLock&) = delete;

 private:
  Reconciler& owner_;
  std::int64_t orderId_;
};

Reconciler::Reconciler(api::OrderApi& api, dms::DocumentTarget& target, StateStore& store,
                       const FilingConfig& config, dms::Logger& logger,
                       std::filesystem::path spoolDir, EpochClock clock)
    : api_(api),
      target_(target),
      store_(store),
      config_(config),
      logger_(logger),
      spoolDir_(std::move(spoolDir)),
      clock_(std::move(clock)),
      mapper_(config),
      folderGate_(kFolderChangeWait) {
  std::error_code ignored;
  std::filesystem::create_directories(spoolDir_, ignored);
}

Reconciler::~Reconciler() {
  releasePool();
}

bool Reconciler::givenUp(const AssetRecord& record, const FilingConfig& config) {
  return filing::givenUp(record, config);
}

void Reconciler::recordFailure(FileJob& job, Reason reason) {
  auto& r = job.record;
  r.state = AssetState::Failed;
  r.lastError = job.problem;
  ++r.attempts;
  // 1 minute after the first failure, doubling up to filing.retryMaxMinutes.
  r.notBeforeEpoch =
      clock_() + backoffSeconds(r.attempts, 60, std::int64_t{config_.assetRetryMaxMinutes} * 60);
  job.audit.push_back(AuditLog::entry(r.orderId, r.assetId, "failed", reason, r.path, job.problem));
  if (givenUp(r, config_)) {
    const std::string detail = "given up after " + std::to_string(r.attempts) +
                               " failed attempts (filing.maxAttempts); retry with: sync --order " +
                               std::to_string(r.orderId);
    logger_.error(kSource, "asset " + r.assetId + ": " + detail);
    job.audit.push_back(AuditLog::entry(r.orderId, r.assetId, "given up", reason, r.path, detail));
  }
}

bool Reconciler::recordInterruption(FileJob& job, Reason reason) {
  auto& r = job.record;
  // Back to the record as it was when the intent kept its path: whatever the target may hold
  // is then at that same path (the next run adopts it, or finds it missing). Otherwise the
  // intent stays and recovery resolves it from the target, as after a kill.
  const bool restored = job.before && job.before->path == r.path;
  job.audit.push_back(
      AuditLog::entry(r.orderId, r.assetId, "interrupted", reason, r.path,
                      job.problem + (restored ? "; left as it was" : "; resolved by the next run") +
                          ", not counted as a failed attempt"));
  if (restored) r = *job.before;
  return restored;
}

void Reconciler::requestStop() {
  stop_ = true;
  folderGate_.requestStop();
}
void Reconciler::resetStop() {
  stop_ = false;
  folderGate_.resetStop();
}

void Reconciler::releasePool() {
  std::unique_ptr<TaskPool> pool;
  {
    std::lock_guard lock(poolMutex_);
    pool = std::move(pool_);
  }
  pool.reset();  // joins outside the lock
}

dms::Status Reconciler::folderChange(const std::string& path,
                                     const std::function<dms::Status()>& change) {
  auto pass = folderGate_.enter(path);
  if (!pass) return pass.error();
  noteTargetWrite();
  return change();
}

dms::Status Reconciler::ensureFolder(const std::string& folder) {
  return folderChange(folder, [&] { return target_.ensureFolder(folder); });
}

dms::Status Reconciler::removePruning(const std::string& path) {
  // Pruning removes parent folders: kept apart from colliding creations like ensureFolder().
  return folderChange(path, [&] { return target_.remove(path, true); });
}

TaskPool& Reconciler::pool() {
  std::lock_guard lock(poolMutex_);
  if (!pool_) pool_ = std::make_unique<TaskPool>(config_.concurrency);
  return *pool_;
}

std::size_t Reconciler::heldInMemoryLimit() const {
  // Each filing thread holds at most one body: together at most kHeldBodiesBudget.
  return std::clamp<std::size_t>(kHeldBodiesBudget / std::max<std::size_t>(config_.concurrency, 1),
                                 kMinHeldBodyBytes, kMaxHeldBodyBytes);
}

std::filesystem::path Reconciler::spoolFile(const std::string& assetId) const {
  // Hashed: any id (however hostile) gives a distinct, safe name.
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(assetId);
  return spoolDir_ / (Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 40) + ".part");
}

dms::Status Reconciler::cleanSpool() {
  std::error_code ec;
  std::filesystem::create_directories(spoolDir_, ec);
  for (auto it = std::filesystem::directory_iterator(spoolDir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code ignored;
    if (it->path().extension() == ".part") std::filesystem::remove(it->path(), ignored);
  }
  if (ec)
    return dms::fail(dms::ErrorCode::Unavailable,
                     "spool folder " + spoolDir_.string() + ": " + ec.message());
  return {};
}

dms::Result<bool> Reconciler::holdsAsset(const std::string& path, const std::string& assetId) {
  auto md = target_.readMetadata(path);
  if (!md) {
    if (md.error().code == dms::ErrorCode::NotFound) return false;
    return md.error();
  }
  auto it = md->find("ambita.assetId");
  return it != md->end() && it->second == assetId;
}

dms::Result<std::string> Reconciler::choosePath(const std::string& folder, const std::string& name,
                                                const std::string& assetId,
                                                std::set<std::string>& reserved, NameProbe probe) {
  for (int n = 1; n <= kMaxNameVariants; ++n) {
    const std::string candidate =
        AssetMapper::join(folder, SafeName::variant(name, n, config_.maxNameBytes));
    if (reserved.count(candidate) != 0) continue;
    auto holder = store_.pathHolder(candidate, assetId);
    if (!holder) return holder.error();
    if (*holder) continue;
    if (probe == NameProbe::LeaveToThePut) {
      reserved.insert(candidate);
      return candidate;
    }
    auto st = target_.stat(candidate);
    if (!st) {
      if (st.error().code != dms::ErrorCode::NotFound) return st.error();
      reserved.insert(candidate);
      return candidate;
    }
    // Our own file from a run whose record was lost: the put adopts it (AlreadyExists + ours).
    auto ours = holdsAsset(candidate, assetId);
    if (!ours) return ours.error();
    if (*ours) {
      reserved.insert(candidate);
      return candidate;
    }
  }
  return dms::fail(dms::ErrorCode::Conflict, "no free name for asset " + assetId + " in folder '" +
                                                 folder + "' after " +
                                                 std::to_string(kMaxNameVariants) + " variants");
}

void Reconciler::sortByAction(PlannedAsset&& planned, const std::string& orderName,
                              ReconcileReport& report, std::vector<AssetRecord>& removals,
                              std::vector<AssetRecord>& notes, std::vector<FileJob>& jobs) {
  switch (planned.action) {
    case PlannedAction::File: {
      FileJob job;
      job.context = std::move(planned.context);
      if (planned.known) {
        job.before = *planned.known;
        job.record = std::move(*planned.known);
      }
      jobs.push_back(std::move(job));
      break;
    }
    case PlannedAction::Wait:
      ++report.waiting;  // backoff not over, or given up: shown by status
      break;
    case PlannedAction::Remove:
    case PlannedAction::Move:
      removals.push_back(std::move(*planned.known));
      break;
    case PlannedAction::NoteRemoved: {
      // Withdrawn before it was filed: remember it so status shows it, nothing to remove.
      const auto& context = planned.context;
      AssetRecord r = planned.known ? std::move(*planned.known) : AssetRecord{};
      r.assetId = context.asset.id;
      r.orderId = report.orderId;
      r.supplierOrderId = context.supplierOrder ? context.supplierOrder->id : 0;
      r.orderLineId = context.orderLine ? context.orderLine->id : 0;
      r.remoteStatus = context.asset.status;
      r.category = context.asset.productCategory;
      r.state = AssetState::Removed;
      r.removedAt = AuditLog::now();
      notes.push_back(std::move(r));
      break;
    }
    case PlannedAction::Skip:
      logger_.warning(kSource, orderName + ": asset " + planned.context.asset.id + " has " +
                                   planned.why + ": left alone");
      ++report.unchanged;
      break;
    case PlannedAction::Keep:
      ++report.unchanged;
      break;
  }
}

dms::Status Reconciler::leaveOtherOrdersAssets(OrderPlan& plan, std::int64_t orderId) {
  for (auto& planned : plan.assets) {
    // Only an asset this order has no record of can be another order's (the state keeps one
    // record an asset id).
    if (planned.known ||
        (planned.action != PlannedAction::File && planned.action != PlannedAction::NoteRemoved))
      continue;
    auto holder = store_.asset(planned.context.asset.id);
    if (!holder) return holder.error();
    if (!*holder || (*holder)->orderId == orderId) continue;
    planned.action = PlannedAction::Skip;
    planned.why = "an id that order " + std::to_string((*holder)->orderId) +
                  " holds already (Ambita lists it in both orders; it stays with that one)";
  }
  return {};
}

dms::Result<Reconciler::RecoveredOrder> Reconciler::recoverOrder(std::int64_t orderId) {
  auto records = store_.assetsOfOrder(orderId);
  if (!records) return records.error();
  std::vector<AssetRecord> intents;
  for (const auto& r : *records)
    if (r.state == AssetState::Filing || r.state == AssetState::Removing) intents.push_back(r);
  if (intents.empty()) return RecoveredOrder{0, std::move(*records)};
  auto recovered = recoverAssets(intents);
  if (!recovered) return recovered.error();
  auto after = store_.assetsOfOrder(orderId);
  if (!after) return after.error();
  return RecoveredOrder{*recovered, std::move(*after)};
}

dms::Result<TrackedOrder> Reconciler::trackSeenOrder(std::int64_t orderId,
                                                     const api::OrderCollection& order,
                                                     Reason reason, const TrackedOrder* hint,
                                                     OrderChanges& pending) {
  TrackedOrder seed = hint ? *hint : TrackedOrder{};
  seed.id = orderId;
  // The reference decides the folder: it comes from what this side knows (the order command,
  // track --reference) or else from the authenticated GET, never from a push body.
  if (seed.reference.empty()) seed.reference = order.reference;
  if (seed.technicalReference.empty()) seed.technicalReference = order.technicalReference;
  if (!hint) seed.origin = originFor(reason);
  seed.trackedAt = AuditLog::now();
  return trackInto(store_, seed, reason, pending);
}

dms::Result<ReconcileReport> Reconciler::reconcile(std::int64_t orderId, Reason reason,
                                                   const ProgressFn& progress,
                                                   const TrackedOrder* hint,
                                                   std::optional<AnsweredMessages> answers,
                                                   CheckBatch* checks,
                                                   const std::set<std::string>* fileAgain) {
  try {
    OrderLock lock(*this, orderId);
    ReconcileReport report;
    report.orderId = orderId;
    // Counted once, however the reconcile ends (what was filed before an error stays filed),
    // and before the commit that answers the order's push messages: that commit is seen (an
    // empty inbox in /metrics) while it still waits for its log sync, and whoever sees the
    // messages answered must find the files counted.
    struct CountOnce {
      Reconciler& reconciler;
      const ReconcileReport& report;
      std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
      bool counted = false;
      void now() noexcept {
        if (std::exchange(counted, true)) return;
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        reconciler.countReconcile(report, took.count());
      }
      ~CountOnce() { now(); }
    } count{*this, report};
    const std::string orderName = "order " + std::to_string(orderId);
    if (stop_) return dms::fail(dms::ErrorCode::Cancelled, orderName + ": stopping");
    // Pushes and polls leave an order leased elsewhere to its holder; an administrator's
    // command (sync, verify --repair) waits for it.
    auto lease = takeOrderLease(orderId, reason != Reason::Push && reason != Reason::Poll);
    if (!lease) return lease.error();

    auto recovered = recoverOrder(orderId);
    if (!recovered) return recovered.error();
    report.recovered = recovered->recovered;

    auto order = api_.getOrder(orderId);
    if (!order)
      return dms::Error{order.error().code, orderName + ": " + order.error().message,
                        order.error().retryAfter};
    report.status = order->status;
    if (!isKnownOrderStatus(order->status))
      logger_.warning(kSource, orderName + " has unknown status '" + order->status +
                                   "': files are filed or removed by their own status");

    // What this reconcile records goes with its next commit (issue 15: at most two an order,
    // the intents before the target is touched, then everything else).
    OrderChanges pending;
    auto tracked = trackSeenOrder(orderId, *order, reason, hint, pending);
    if (!tracked) return tracked.error();
    const TrackedOrder& trackedOrder = *tracked;

    // The records recoverOrder read: nothing else changes the order's assets while its lock
    // and lease are held.
    std::map<std::string, AssetRecord> known;
    for (auto& r : recovered->assets) known.emplace(r.assetId, std::move(r));
    // A repair's missing files are planned as failed ones due now; their jobs keep the filed
    // record as the one to go back to.
    std::map<std::string, AssetRecord> filedBefore;
    if (fileAgain != nullptr)
      for (auto& [assetId, r] : known)
        if (r.state == AssetState::Filed && fileAgain->count(assetId) != 0) {
          filedBefore.emplace(assetId, r);
          r.state = AssetState::Failed;
          r.attempts = 0;
          r.notBeforeEpoch = 0;
        }

    auto plan = planOrder(*order, std::move(known), config_, {clock_(), reason == Reason::Sync});
    if (auto s = leaveOtherOrdersAssets(plan, orderId); !s) return s.error();
    std::vector<AssetRecord> removals;
    std::vector<AssetRecord> notes;
    std::vector<FileJob> jobs;
    for (auto& planned : plan.assets)
      sortByAction(std::move(planned), orderName, report, removals, notes, jobs);
    for (auto& job : jobs)
      if (auto it = filedBefore.find(job.context.asset.id); it != filedBefore.end())
        job.before = it->second;
    for (auto& note : notes) pending.assets.push_back(std::move(note));

    if (!removals.empty()) {
      // One walk for all of them: an order may withdraw thousands at once.
      std::map<std::string, std::string> remoteStatus;
      for (const auto& context : AssetMapper::walk(*order))
        remoteStatus[context.asset.id] = context.asset.status;
      for (auto& r : removals)
        if (auto it = remoteStatus.find(r.assetId); it != remoteStatus.end())
          r.remoteStatus = it->second;
      processRemovals(std::move(removals), reason, report, progress, pending);
      // New files choose their names after the removals are recorded: a replacement takes the
      // name its withdrawn predecessor freed.
      if (!jobs.empty())
        if (auto s = store_.commitOrder(std::exchange(pending, {})); !s) return s.error();
    }

    if (!jobs.empty()) {
      for (auto& job : jobs) job.mapped = mapper_.map(*order, job.context, trackedOrder);
      if (auto s = processFilings(*order, jobs, reason, report, progress, pending); !s)
        return s.error();
    }
    if (stop_ && !report.ok()) {
      if (auto s = store_.commitOrder(pending); !s) return s.error();
      return dms::fail(dms::ErrorCode::Cancelled, orderName + ": stopped");
    }

    // The cost ledger follows every GET (issue 12); a failure is retried like any state write.
    auto costs = orderCostChanges(store_, *order, trackedOrder.reference, AuditLog::now());
    if (!costs) return costs.error();
    for (const auto& problem : costs->problems)
      logger_.warning(kSource, orderName + ": cost ledger: " + problem);
    pending.ledgerLines = std::move(costs->lines);
    pending.ledgerEntries = std::move(costs->entries);
    pending.status =
        OrderStatusSeen{orderId, order->status, AuditLog::now(), isFinalOrder(order->status)};
    // Outcomes, audit, events, ledger, status and (when every file went well) the answered
    // push messages: one transaction. A crash before it is recovered from the target like any
    // interrupted run (the intents are durable), and the messages are still queued.
    if (report.ok()) pending.answered = answers;
    if (checks != nullptr && onlyTheCheck(pending, trackedOrder)) {
      // Nothing new: the time of the check is written with the run's other checks.
      if (auto s = checks->add({orderId, pending.status->checkedAt}); !s) return s.error();
      return report;
    }
    count.now();
    if (auto s = store_.commitOrder(pending); !s) return s.error();
    return report;
  } catch (const std::exception& e) {
    return dms::fail(dms::ErrorCode::Internal,
                     "order " + std::to_string(orderId) + ": unexpected error: " + e.what());
  }
}

dms::Status Reconciler::processFilings(const api::OrderCollection& order,
                                       std::vector<FileJob>& jobs, Reason reason,
                                       ReconcileReport& report, const ProgressFn& progress,
                                       OrderChanges& pending) {
  std::set<std::string> reserved;
  std::mutex reservedMutex;
  std::vector<AssetRecord> intents;
  std::vector<FileJob*> runnable;
  for (auto& job : jobs) {
    const auto& asset = job.context.asset;
    auto& r = job.record;
    r.assetId = asset.id;
    r.orderId = order.id;
    r.supplierOrderId = job.context.supplierOrder ? job.context.supplierOrder->id : 0;
    r.orderLineId = job.context.orderLine ? job.context.orderLine->id : 0;
    r.remoteStatus = asset.status;
    r.category = asset.productCategory;
    // Free in the state is enough here: a name taken on the target is found by the put.
    auto path = choosePath(job.mapped.folder, job.mapped.fileName, asset.id, reserved,
                           NameProbe::LeaveToThePut);
    if (!path) {
      job.problem = "asset " + asset.id + ": " + path.error().describe();
      continue;
    }
    r.state = AssetState::Filing;
    r.path = *path;
    r.lastError.clear();
    intents.push_back(r);
    runnable.push_back(&job);
  }
  // The intents are durable before any file is put: recovery can always tell what was going on.
  // What the reconcile recorded before (tracking, notes) goes with them.
  for (auto& intent : intents) pending.assets.push_back(std::move(intent));
  if (auto s = store_.commitOrder(std::exchange(pending, {})); !s) return s;

  // Folders first, one by one: the concurrent puts below then only touch distinct paths.
  std::map<std::string, dms::Status> folders;
  for (auto* job : runnable) folders.emplace(AssetMapper::parent(job->record.path), dms::Status{});
  for (auto& [folder, status] : folders)
    if (!folder.empty()) status = ensureFolder(folder);
  std::vector<FileJob*> ready;
  for (auto* job : runnable) {
    const auto& parent = AssetMapper::parent(job->record.path);
    if (const auto& status = folders[parent]; !status) {
      job->fail("asset " + job->record.assetId + ": folder '" + parent +
                    "': " + status.error().describe(),
                status.error().code);
      continue;
    }
    ready.push_back(job);
  }
  runnable = std::move(ready);

  // One batch for the order's files: they become durable together, before any is recorded.
  noteTargetWrite();
  const auto batch = target_.beginPutBatch();
  std::vector<std::function<void()>> tasks;
  for (auto* job : runnable)
    tasks.push_back([this, &order, job, &batch, &reserved, &reservedMutex] {
      fileOne(order, *job, *batch, reserved, reservedMutex);
    });
  pool().runAll(std::move(tasks));
  settleBatch(*batch, runnable);

  for (auto& job : jobs) {
    if (job.downloaded) ++report.downloads;
    if (job.problem.empty()) {
      ++report.filed;
      report.filedBytes += job.record.size;
      if (progress) progress("filed " + job.record.path);
      job.audit.push_back(
          AuditLog::entry(order.id, job.record.assetId, "filed", reason, job.record.path,
                          std::to_string(job.record.size) + " bytes, sha256 " + job.record.sha256));
    } else if (job.cancelled || stop_) {
      // Ended by stop(), not by the asset (see the class comment).
      ++report.interrupted;
      report.problems.push_back(job.problem);
      logger_.info(kSource, "order " + std::to_string(order.id) + ": " + job.problem +
                                " (stopped: not counted as a failed attempt)");
      if (progress) progress("STOPPED " + job.problem);
      if (!recordInterruption(job, reason)) {
        for (auto& e : job.audit) pending.audit.push_back(std::move(e));
        continue;  // the intent stays as committed
      }
    } else {
      ++report.failed;
      report.problems.push_back(job.problem);
      logger_.warning(kSource, "order " + std::to_string(order.id) + ": " + job.problem);
      if (progress) progress("FAILED " + job.problem);
      recordFailure(job, reason);
    }
    pending.assets.push_back(job.record);
    for (auto& e : job.audit) pending.audit.push_back(std::move(e));
  }
  // Recorded by the reconcile's last commit; a crash before it is recovered from the target
  // (the metadata names the asset).
  return {};
}

void Reconciler::settleBatch(dms::PutBatch& batch, const std::vector<FileJob*>& jobs) {
  auto placed = batch.commit();
  for (auto* job : jobs) {
    if (!job->staged || !job->problem.empty()) continue;
    auto& r = job->record;
    const auto outcome = placed.find(r.path);
    if (outcome == placed.end()) {
      job->problem = "asset " + r.assetId + ": '" + r.path + "' was not placed by the target";
    } else if (!outcome->second) {
      // Not recorded as filed without its file: retried by the next run, like any failure
      // (AlreadyExists: the name was taken between writing and placing; the next run picks
      // another, or adopts the file if it is ours).
      job->fail("asset " + r.assetId + ": placing '" + r.path +
                    "' failed: " + outcome->second.error().describe(),
                outcome->second.error().code);
    }
  }
}

bool Reconciler::storeAsset(const api::OrderCollection& order, FileJob& job, dms::PutBatch& batch,
                            std::set<std::string>& reserved, std::mutex& reservedMutex,
                            const std::string& filedAt, std::optional<api::Download>& downloaded) {
  auto& r = job.record;
  bool folderRetried = false;
  for (int attempt = 0; attempt < kMaxPutAttempts; ++attempt) {
    if (stop_) {
      job.problem = "asset " + r.assetId + ": stopped before filing";
      return false;
    }
    auto put = downloadInto(order, job, batch, filedAt, downloaded);
    if (!job.problem.empty()) return false;  // the download failed
    if (put) {
      job.staged = true;
      return true;
    }
    if (put.error().code == dms::ErrorCode::Conflict && !folderRetried) {
      // The folder went away since it was made (someone tidied up): make it again, once.
      folderRetried = true;
      if (auto s = ensureFolder(AssetMapper::parent(r.path)); !s) {
        job.fail("asset " + r.assetId + ": folder '" + AssetMapper::parent(r.path) +
                     "': " + s.error().describe(),
                 s.error().code);
        return false;
      }
      continue;
    }
    if (put.error().code != dms::ErrorCode::AlreadyExists) {
      job.fail(
          "asset " + r.assetId + ": storing '" + r.path + "' failed: " + put.error().describe(),
          put.error().code);
      return false;
    }
    auto ours = holdsAsset(r.path, r.assetId);
    if (!ours) {
      job.fail("asset " + r.assetId + ": checking '" + r.path + "': " + ours.error().describe(),
               ours.error().code);
      return false;
    }
    if (*ours) return true;  // put by an interrupted run: adopt it
    // Someone else's file has the name: record the next free name first, then put. Asking the
    // target here (a rare path) skips every variant already taken in one go.
    std::lock_guard lock(reservedMutex);
    auto next = choosePath(AssetMapper::parent(r.path), job.mapped.fileName, r.assetId, reserved);
    if (!next) {
      job.fail("asset " + r.assetId + ": " + next.error().describe(), next.error().code);
      return false;
    }
    r.path = *next;
    if (auto s = store_.commit({r}, {}); !s) {
      job.fail("asset " + r.assetId + ": " + s.error().describe(), s.error().code);
      return false;
    }
  }
  // Not stored: never recorded as filed without its file; retried with backoff like any failure.
  job.problem = "asset " + r.assetId + ": every name tried was taken by the time it was put (" +
                std::to_string(kMaxPutAttempts) + " tries, last '" + r.path + "')";
  return false;
}

dms::Result<dms::EntryInfo> Reconciler::downloadInto(const api::OrderCollection& order,
                                                     FileJob& job, dms::PutBatch& batch,
                                                     const std::string& filedAt,
                                                     std::optional<api::Download>& downloaded) {
  auto& r = job.record;
  dms::Result<dms::EntryInfo> put = dms::fail(dms::ErrorCode::Internal, "no body to put");
  bool putFailed = false;
  auto download = api_.streamAsset(job.context.asset.downloadUrl, [&](api::DownloadBody& body) {
    // The metadata names the body's size and SHA-256: made once the body was read whole.
    const dms::MetadataAfterContent metadata = [&]() -> dms::Result<dms::Metadata> {
      auto complete = body.result();
      if (!complete) return complete.error();
      return AssetMapper::metadata(order, job.context, job.mapped, complete->sha256Hex,
                                   complete->size, filedAt);
    };
    put = batch.putStreaming(r.path, body, metadata, dms::PutMode::CreateNew);
    if (!put && put.error().code == dms::ErrorCode::NotSupported) {
      // A target without a streaming put re-sends a cut request from the content's start: the
      // body held whole, in memory when small, else in the spool file.
      auto held = HeldBody::hold(body, heldInMemoryLimit(), spoolFile(r.assetId));
      if (!held) return dms::Status(held.error());
      auto made = metadata();
      if (!made) return dms::Status(made.error());
      put = batch.put(r.path, (*held)->content(), *made, dms::PutMode::CreateNew);
    }
    if (put || body.failure()) return put ? dms::Status{} : dms::Status(put.error());
    putFailed = true;
    if (put.error().code == dms::ErrorCode::AlreadyExists) {
      // Perhaps our own file from an interrupted run, to adopt: its size and hash are those of
      // the body, so read the body through rather than ask for it again.
      body.ignore(std::numeric_limits<std::streamsize>::max());
      if (auto complete = body.result()) downloaded = *complete;
    }
    return dms::Status(put.error());
  });
  if (download) {
    downloaded = *download;
    return put;
  }
  if (putFailed) return put;
  job.fail("asset " + r.assetId + ": download failed: " + download.error().describe(),
           download.error().code);
  return download.error();
}

void Reconciler::fileOne(const api::OrderCollection& order, FileJob& job, dms::PutBatch& batch,
                         std::set<std::string>& reserved, std::mutex& reservedMutex) {
  auto& r = job.record;
  if (stop_) {
    job.problem = "asset " + r.assetId + ": stopped before download";
    return;
  }
  job.downloaded = true;
  struct InFlight {
    metrics::Gauge* gauge;
    explicit InFlight(metrics::Gauge* g) : gauge(g) {
      if (gauge) gauge->add(1);
    }
    ~InFlight() {
      if (gauge) gauge->add(-1);
    }
  } inFlight(metrics_ ? metrics_->downloadsInFlight : nullptr);
  const std::string filedAt = AuditLog::now();
  std::optional<api::Download> downloaded;
  if (!storeAsset(order, job, batch, reserved, reservedMutex, filedAt, downloaded)) return;
  if (!downloaded) {
    // Adopted our own file without its body having been read: asked for once more.
    auto again = api_.downloadAsset(job.context.asset.downloadUrl, "/dev/null");
    if (!again) {
      job.fail("asset " + r.assetId + ": download failed: " + again.error().describe(),
               again.error().code);
      return;
    }
    downloaded = *again;
  }
  r.state = AssetState::Filed;
  r.size = downloaded->size;
  r.sha256 = downloaded->sha256Hex;
  r.filedAt = filedAt;
  r.lastError.clear();
  r.attempts = 0;
  r.notBeforeEpoch = 0;
}

void Reconciler::processRemovals(std::vector<AssetRecord> records, Reason reason,
                                 ReconcileReport& report, const ProgressFn& progress,
                                 OrderChanges& pending) {
  std::set<std::string> reserved;
  std::vector<AssetRecord> intents;
  for (auto& r : records) {
    if (r.state == AssetState::Failed) {
      // A failed attempt's file, if it was placed after all (OrderPlan): only then a removal.
      auto placed = holdsAsset(r.path, r.assetId);
      if (!placed) {
        ++report.failed;
        report.problems.push_back("asset " + r.assetId + ": looking for '" + r.path +
                                  "' of a failed attempt: " + placed.error().describe());
        continue;
      }
      if (!*placed) {
        r.state = AssetState::Removed;  // withdrawn before it was filed: nothing to remove
        r.removedAt = AuditLog::now();
        pending.assets.push_back(r);
        continue;
      }
    }
    r.state = AssetState::Removing;
    r.targetPath.clear();
    if (config_.withdrawnPolicy == WithdrawnPolicy::Move) {
      const std::string folder =
          AssetMapper::join(config_.withdrawnFolder, AssetMapper::parent(r.path));
      const auto slash = r.path.rfind('/');
      const std::string name = slash == std::string::npos ? r.path : r.path.substr(slash + 1);
      auto to = choosePath(folder, name, r.assetId, reserved);
      if (!to) {
        ++report.failed;
        report.problems.push_back("asset " + r.assetId + ": " + to.error().describe());
        continue;
      }
      r.targetPath = *to;
    }
    intents.push_back(r);
  }
  // The intents are durable before any file is touched, with what the reconcile recorded before.
  OrderChanges intentChanges = pending;
  intentChanges.assets.insert(intentChanges.assets.end(), intents.begin(), intents.end());
  if (auto s = store_.commitOrder(intentChanges); !s) {
    report.failed += intents.size();
    report.problems.push_back("recording removals: " + s.error().describe());
    return;
  }
  pending = {};
  for (auto& r : intents) {
    if (auto s = performRemoval(r); !s) {
      // Stays Removing: the next reconcile's recovery completes it.
      ++report.failed;
      report.problems.push_back("asset " + r.assetId + ": removing '" + r.path +
                                "' failed: " + s.error().describe());
      continue;
    }
    ++report.removed;
    const bool moved = !r.targetPath.empty();
    if (progress) progress((moved ? "moved " : "removed ") + r.path);
    pending.audit.push_back(AuditLog::entry(r.orderId, r.assetId, moved ? "moved" : "removed",
                                            reason, r.path, moved ? "to " + r.targetPath : ""));
    r.state = AssetState::Removed;
    r.removedAt = AuditLog::now();
    pending.assets.push_back(r);  // recorded by the reconcile's next commit
  }
}

dms::Status Reconciler::performRemoval(const AssetRecord& r) {
  auto atSource = holdsAsset(r.path, r.assetId);
  if (!atSource) return atSource.error();
  if (r.targetPath.empty()) {
    // Only ever our own file: if a person put something else there, it stays.
    if (!*atSource) return {};
    auto s = removePruning(r.path);
    if (!s && s.error().code != dms::ErrorCode::NotFound) return s;
    return {};
  }
  auto atTarget = holdsAsset(r.targetPath, r.assetId);
  if (!atTarget) return atTarget.error();
  if (*atTarget) {
    if (*atSource) {  // a copy-then-remove interrupted after the copy
      auto s = removePruning(r.path);
      if (!s && s.error().code != dms::ErrorCode::NotFound) return s;
    }
    return {};
  }
  if (!*atSource) return {};
  auto placed = placeAt(r.path, r.targetPath);
  if (!placed) return placed.error();
  if (*placed == Placed::Moved) return {};
  // Copied (a target without move): the source pruned as a folder change of its own, after the
  // one above (the source's top-level folder may be the destination's).
  auto s = removePruning(r.path);
  if (!s && s.error().code != dms::ErrorCode::NotFound) return s;
  return {};
}

dms::Result<Reconciler::Placed> Reconciler::placeAt(const std::string& from,
                                                    const std::string& to) {
  // The destination's folder is made and the file placed in it as one folder change: a prune
  // colliding with it (another order's, under the same top-level folder) cannot delete the
  // folder between the two, as it could when the folder was made by a change of its own.
  Placed placed = Placed::Moved;
  auto s = folderChange(to, [&]() -> dms::Status {
    if (const auto parent = AssetMapper::parent(to); !parent.empty())
      if (auto made = target_.ensureFolder(parent); !made) return made;
    auto moved = target_.move(from, to);
    if (moved || moved.error().code != dms::ErrorCode::NotSupported) return moved;
    placed = Placed::Copied;
    auto md = target_.readMetadata(from);
    if (!md) return md.error();
    auto in = target_.get(from);
    if (!in) return in.error();
    auto put = target_.put(to, **in, *md, dms::PutMode::CreateNew);
    return put ? dms::Status{} : dms::Status(put.error());
  });
  if (!s) return s.error();
  return placed;
}

dms::Result<std::size_t> Reconciler::recoverAll() {
  // A page of order ids at a time (issue 15, branch pagerest): memory flat however many
  // intents a crash left.
  constexpr std::size_t kOrdersAPage = 500;
  std::size_t total = 0;
  for (auto after = StateStore::kBeforeAnyOrder;;) {
    auto orderIds = store_.ordersWithIntentsAfter(after, kOrdersAPage);
    if (!orderIds) return orderIds.error();
    for (const auto orderId : *orderIds) {
      OrderLock lock(*this, orderId);
      // An order another process holds is that process's to resolve (or the next holder's).
      auto lease = takeOrderLease(orderId, false);
      if (!lease) {
        if (lease.error().code == dms::ErrorCode::Locked) continue;
        return lease.error();
      }
      // Read again under the lease: the page above may be older than the holder's last commit.
      auto n = recoverOrder(orderId);
      if (!n) return n.error();
      total += n->recovered;
    }
    if (orderIds->size() < kOrdersAPage) return total;
    after = orderIds->back();
  }
}

dms::Result<std::vector<PreviewEntry>> Reconciler::preview(std::int64_t orderId) {
  try {
    auto order = api_.getOrder(orderId);
    if (!order)
      return dms::Error{order.error().code,
                        "order " + std::to_string(orderId) + ": " + order.error().message,
                        {}};
    auto tracked = store_.order(orderId);
    if (!tracked) return tracked.error();
    TrackedOrder t;
    t.id = orderId;
    const TrackedOrder trackedOrder = tracked->value_or(t);
    auto knownList = store_.assetsOfOrder(orderId);
    if (!knownList) return knownList.error();
    std::map<std::string, AssetRecord> known;
    for (auto& r : *knownList) known.emplace(r.assetId, r);
    // What a reconcile now would do (a failed asset shown as filed again, backoff or not).
    auto plan = planOrder(*order, std::move(known), config_, {clock_(), true});
    if (auto s = leaveOtherOrdersAssets(plan, orderId); !s) return s.error();
    const auto plannedById = plan.byId();
    std::set<std::string> reserved;
    std::vector<PreviewEntry> out;
    for (const auto& context : AssetMapper::walk(*order)) {
      PreviewEntry e;
      e.assetId = context.asset.id;
      e.assetStatus = context.asset.status;
      auto mapped = mapper_.map(*order, context, trackedOrder);
      e.metadata = AssetMapper::metadata(*order, context, mapped, "", 0, "");
      e.metadata.erase("ambita.size");
      const auto found = plannedById.find(e.assetId);
      const PlannedAsset* planned = found == plannedById.end() ? nullptr : found->second;
      const auto action = planned ? planned->action : PlannedAction::Keep;
      const bool filed = planned && planned->known && planned->known->state == AssetState::Filed;
      if (action == PlannedAction::Remove || action == PlannedAction::Move) {
        e.action = toString(action);
        e.path = planned->known->path;
      } else if (action == PlannedAction::File || action == PlannedAction::Wait) {
        e.action = "file";
        auto path = choosePath(mapped.folder, mapped.fileName, e.assetId, reserved);
        if (!path) return path.error();
        e.path = *path;
      } else if (filed) {
        e.action = "already filed";
        e.path = planned->known->path;
      } else {
        e.action = "none";
        e.path = AssetMapper::join(mapped.folder, mapped.fileName);
      }
      out.push_back(std::move(e));
    }
    return out;
  } catch (const std::exception& e) {
    return dms::fail(dms::ErrorCode::Internal,
                     "preview of order " + std::to_string(orderId) + ": " + e.what());
  }
}

void Reconciler::countReconcile(const ReconcileReport& report, double seconds) noexcept {
  if (metrics_ == nullptr) return;
  metrics_->filed->add(report.filed);
  metrics_->removed->add(report.removed);
  metrics_->failed->add(report.failed);
  metrics_->filedBytes->add(report.filedBytes);
  metrics_->reconcileSeconds->observe(seconds);
}

}  // namespace ambita::filing
