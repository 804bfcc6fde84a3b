#pragma once
/// The engine's durable state: tracked orders, every asset seen and where it went, the push
/// inbox and the audit log. SqliteStateStore implements it; a PostgreSQL backend can implement
/// the same interface later.
///
/// Threading: every method is thread-safe (implementations serialise access). Each method is
/// one transaction: it either happens completely or not at all, also across a kill -9.
/// No method throws.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dms/Error.h"
#include "filing/Outbox.h"

namespace ambita::filing {

/// How the engine came to know an order.
enum class OrderOrigin { Created, Push, Admin, Poll };
std::string toString(OrderOrigin origin);
OrderOrigin orderOriginFrom(const std::string& text);

struct TrackedOrder {
  std::int64_t id = 0;
  OrderOrigin origin = OrderOrigin::Admin;
  std::string reference;
  std::string technicalReference;
  std::string cadastre;    ///< orders created here
  std::string address;     ///< orders created here
  std::string status;      ///< last status seen from GET ("" before the first)
  std::string trackedAt;   ///< ISO 8601 UTC
  std::string checkedAt;   ///< last successful reconcile
  std::string finishedAt;  ///< first time seen FINISHED/CANCELLED/REFUNDED ("" if never)
};

/// Where an asset is in its life here. Filing and Removing are intents: recorded before the
/// target is touched, resolved by the engine's recovery after a crash.
enum class AssetState { Filing, Filed, Removing, Removed, Failed };
std::string toString(AssetState state);
AssetState assetStateFrom(const std::string& text);

struct AssetRecord {
  std::string assetId;
  std::int64_t orderId = 0;
  std::int64_t supplierOrderId = 0;
  std::int64_t orderLineId = 0;  ///< 0 for supplier-order-level assets
  std::string remoteStatus;      ///< as last seen from Ambita ("OK", "DELETED", ...)
  std::string category;
  AssetState state = AssetState::Filing;
  std::string path;        ///< where it is (Filed), or is being put (Filing), or was (Removed)
  std::string targetPath;  ///< Removing with the move policy: where it goes; after: where it went
  std::uint64_t size = 0;
  std::string sha256;
  std::string filedAt;
  std::string removedAt;
  std::string lastError;  ///< Failed: why (no secrets)
  int attempts = 0;       ///< failed filing attempts so far
  /// Failed: not retried before this time (seconds since the epoch; 0 = at once).
  std::int64_t notBeforeEpoch = 0;
};

struct AuditEntry {
  std::int64_t seq = 0;  ///< assigned by the store
  std::string time;      ///< ISO 8601 UTC
  std::int64_t orderId = 0;
  std::string assetId;
  std::string action;  ///< filed, removed, moved, failed, given up, interrupted, tracked
  std::string reason;  ///< push, poll, admin, sync, recovery
  std::string path;
  std::string detail;
  std::string actor;  ///< who asked (an action command's --actor); "" when not given
};

/// A queued request to reconcile one order. Only the order id is trusted: what else a push
/// body says (reference, ...) is never stored; the authenticated GET decides.
struct InboxMessage {
  std::int64_t seq = 0;  ///< assigned by the store
  std::int64_t orderId = 0;
  std::string status;  ///< the push's status word, for logs only
  std::string source;  ///< "push" or "poll"
  std::string receivedAt;
  int attempts = 0;                    ///< failed reconciles so far
  std::int64_t notBeforeEpoch = 0;     ///< retry backoff
  std::int64_t firstFailureEpoch = 0;  ///< when the first attempt failed (0 = none failed)
  std::int64_t lastFailureEpoch = 0;   ///< when the last attempt failed (0 = none failed)
  /// How long the order has been failing, for giving up: the gaps between its attempts, each
  /// counted at most as the longest backoff (countedWait), so a clock jump cannot shorten it.
  std::int64_t failingSeconds = 0;
  std::string lastError;  ///< why the last attempt failed (no secrets)
};

// --- status as data: what a status listing asks for and gets (see StateStore::orderPage)

/// Which orders a status listing shows.
enum class OrderStateFilter {
  Any,
  Active,    ///< not finished (no final status seen yet)
  Finished,  ///< a final status was seen
  Failing    ///< an asset of the order failed
};

/// Where a walk through a listing stands: the last order it listed (issue 15, branch pagerest).
struct OrderCursor {
  std::string trackedAt;
  std::int64_t id = 0;
};

struct OrderQuery {
  /// Matches the order id or the reference (substring, case-insensitive); "" matches all.
  std::string search;
  OrderStateFilter state = OrderStateFilter::Any;
  std::size_t offset = 0;  ///< orders skipped (newest tracked first)
  std::size_t limit = 50;  ///< at most this many returned
  /// Keyset paging (issue 15, branch pagerest): only the orders listed after this one, so that
  /// a walk through every page reads an index range a page (no OFFSET walk), and an order
  /// tracked meanwhile shifts nothing. `offset` counts from there; `total` ignores it.
  std::optional<OrderCursor> after;
};

/// An order with how many of its assets are in each state.
struct OrderSummary {
  TrackedOrder order;
  std::size_t filed = 0;
  std::size_t removed = 0;
  std::size_t failed = 0;
  std::size_t pending = 0;  ///< an intent (filing, removing) not resolved yet
};

struct OrderPage {
  std::size_t total = 0;  ///< orders matching the query, all pages
  std::vector<OrderSummary> orders;
};

/// The Ambita API a state belongs to: order ids are only unique within one API and client.
struct ApiIdentity {
  std::string origin;    ///< scheme://host:port of ambita.baseUrl
  std::string clientId;  ///< ambita.clientId
  std::string recordedAt;
  bool operator==(const ApiIdentity& o) const {
    return origin == o.origin && clientId == o.clientId;
  }
};

// --- cost ledger (issue 12): what each order line cost, as Ambita reported it

/// One priced line of an order as last seen: its description. What it cost is the sum of its
/// LedgerEntry amounts (entries are only appended, so a credit never hides the charge).
struct LedgerLine {
  std::int64_t orderId = 0;
  std::int64_t lineId = 0;  ///< 0: the collection's own price (an answer without priced lines)
  std::int64_t supplierOrderId = 0;
  std::string product;  ///< product code
  std::string productName;
  std::string category;   ///< productCategory of the line's files ("" until one is known)
  std::string reference;  ///< the order's reference (the case)
  std::string orderedAt;  ///< ISO 8601 "YYYY-MM-DDTHH:MM:SS" from dateOrdered ("" if unknown)
  std::string status;     ///< the line's status as last seen
  bool operator==(const LedgerLine&) const = default;
};

/// A change of what a line costs: "charge" (first price), "credit" (cancelled or refunded:
/// minus what was charged) or "adjustment" (Ambita changed the price). Amounts in øre.
struct LedgerEntry {
  std::int64_t seq = 0;  ///< assigned by the store
  std::int64_t orderId = 0;
  std::int64_t lineId = 0;
  std::string kind;
  std::int64_t netOre = 0;
  std::int64_t grossOre = 0;  ///< including VAT (Ambita's priceVat); VAT = gross - net
  std::string status;         ///< the line's (or order's) status that caused it
  std::string recordedAt;     ///< ISO 8601 UTC
};

/// The ledger of a run of orders (StateStore::ledgerOfOrdersAfter): their lines by order and
/// line, their entries in the order recorded.
struct LedgerPage {
  std::vector<LedgerLine> lines;
  std::vector<LedgerEntry> entries;
  std::int64_t lastOrderId = 0;  ///< the page's last order: the next page comes after it
};

/// What a lease (StateStore::tryLease) is on.
struct LeaseKey {
  enum class Kind {
    Order,    ///< reconciling one order (its intents included)
    Polling,  ///< queueing the tracked orders for a check (one poller at a time)
    Filing,   ///< filing into the target at all: Shared while a process files, Exclusive only
              ///< when no other process files (then the target's temporaries are stale)
  };
  Kind kind = Kind::Order;
  std::int64_t orderId = 0;  ///< Kind::Order

  static LeaseKey order(std::int64_t id) { return {Kind::Order, id}; }
  static LeaseKey polling() { return {Kind::Polling, 0}; }
  static LeaseKey filing() { return {Kind::Filing, 0}; }
  /// "order 17", "polling", "filing" (for messages).
  std::string describe() const;
};

// --- one state transaction per order (issue 15)

/// The status a reconcile saw in the order's GET (StateStore::updateOrderStatus's arguments).
struct OrderStatusSeen {
  std::int64_t orderId = 0;
  std::string status;
  std::string checkedAt;  ///< ISO 8601 UTC
  bool final = false;     ///< FINISHED/CANCELLED/REFUNDED: finishedAt is set the first time
};

/// What one step of a reconcile records about its order, written by StateStore::commitOrder in
/// ONE transaction (one sync): the intents before the target is touched, or everything after.
/// Each part is written as its single-purpose method writes it (trackOrder, commit, recordCosts,
/// updateOrderStatus).
/// The push inbox's messages of one order answered by a reconcile (issue 15, branch push):
/// removed up to `upToSeq` (later ones, queued while it ran, stay for the next reconcile).
struct AnsweredMessages {
  std::int64_t orderId = 0;
  std::int64_t upToSeq = 0;
};

struct OrderChanges {
  std::optional<TrackedOrder> track;  ///< tracked as trackOrder() does (only empty fields filled)
  std::vector<AssetRecord> assets;    ///< upserted
  std::vector<AuditEntry> audit;      ///< appended, with the outbox events they report
  std::vector<LedgerLine> ledgerLines;
  std::vector<LedgerEntry> ledgerEntries;
  std::optional<OrderStatusSeen> status;
  // --- inbox clearing folded into the order's commit (issue 15, branch push): a pushed order
  // costs two commits, and a crash cannot separate "filed" from "its messages answered".
  std::optional<AnsweredMessages> answered;

  bool empty() const {
    return !track && assets.empty() && audit.empty() && ledgerLines.empty() &&
           ledgerEntries.empty() && !status && !answered;
  }
  /// "recording order N" (for messages), N from the status or the tracking part.
  std::string describe() const {
    const auto id = status ? status->orderId : track ? track->id : 0;
    return "recording order " + std::to_string(id);
  }
};

/// What deciding whether an order is still checked needs (issue 15, scale: two columns of every
/// tracked order instead of whole records: 10k orders in well under a MiB).
struct OrderFinish {
  std::int64_t id = 0;
  std::string finishedAt;  ///< ISO 8601 UTC; empty while not finished
};

/// When a reconcile that found nothing new checked an order (issue 15, CPU per order:
/// filing/CheckBatch.h).
struct OrderCheck {
  std::int64_t orderId = 0;
  std::string checkedAt;  ///< ISO 8601 UTC
};

/// How many tracked orders have one status (StateStore::orderCountsByStatus; issue 15, branch
/// scalerest: the metrics count in SQL instead of loading every order).
struct OrderStatusCount {
  std::string status;  ///< as last seen from GET ("" before the first)
  std::size_t orders = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  /// Schema version of the open store.
  virtual dms::Result<int> schemaVersion() = 0;

  /// Records `identity` as the API this state belongs to when none is recorded yet, and returns
  /// the recorded one (equal to `identity` when it was just recorded). The caller refuses to
  /// work on a state recorded for another API.
  virtual dms::Result<ApiIdentity> claimApiIdentity(const ApiIdentity& identity) = 0;

  // --- orders
  /// Inserts the order, or fills in fields that are empty in the stored one (origin and
  /// trackedAt of the first record are kept). Returns true when the order was new.
  virtual dms::Result<bool> trackOrder(const TrackedOrder& order) = 0;
  /// The tracked order, or nullopt when it is not tracked.
  virtual dms::Result<std::optional<TrackedOrder>> order(std::int64_t id) = 0;
  /// Records the status seen by a reconcile (and finishedAt the first time it is final).
  virtual dms::Status updateOrderStatus(std::int64_t id, const std::string& status,
                                        const std::string& checkedAt, bool final) = 0;

  // --- assets
  /// The asset's record, or nullopt when it was never seen.
  virtual dms::Result<std::optional<AssetRecord>> asset(const std::string& assetId) = 0;
  /// Every asset seen for the order, by id.
  virtual dms::Result<std::vector<AssetRecord>> assetsOfOrder(std::int64_t orderId) = 0;
  /// The asset (other than `exceptAssetId`) that holds `path` as Filing or Filed, if any.
  virtual dms::Result<std::optional<std::string>> pathHolder(const std::string& path,
                                                             const std::string& exceptAssetId) = 0;
  /// Upserts every record and appends every audit entry in ONE transaction.
  virtual dms::Status commit(const std::vector<AssetRecord>& assets,
                             const std::vector<AuditEntry>& audit) = 0;

  // --- audit
  /// Entries in time order, all or one order's; at most `limit` (the latest).
  virtual dms::Result<std::vector<AuditEntry>> audit(std::optional<std::int64_t> orderId,
                                                     std::size_t limit) = 0;

  // --- push inbox
  /// Stores a message; returns its seq. Messages already waiting for the same order are merged
  /// into it (one row per order; their attempts, backoff and first failure are kept, so a
  /// repeated push does not bring a postponed retry forward). With `maxOrders` > 0 a message for
  /// an order that is not waiting yet is refused (Unavailable, "inbox full") while that many
  /// orders wait. The merged row has a new seq: a reconcile running for the order completes
  /// only what it read (completeMessages(upToSeq)), never a message that came in meanwhile.
  /// `merged` (optional, metrics): set to whether a message of the order was already waiting.
  virtual dms::Result<std::int64_t> enqueue(const InboxMessage& message, std::size_t maxOrders = 0,
                                            bool* merged = nullptr) = 0;
  /// Messages due at nowEpoch (retryDue: notBeforeEpoch <= nowEpoch, or a wait longer than
  /// `longestWaitSeconds`, left by a clock set back), oldest first, at most `limit`.
  virtual dms::Result<std::vector<InboxMessage>> dueMessages(std::int64_t nowEpoch,
                                                             std::int64_t longestWaitSeconds,
                                                             std::size_t limit) = 0;
  /// Removes every message of `orderId` with seq <= upToSeq (they are all answered by one GET).
  /// A successful reconcile does this in its last commit (OrderChanges::answered); this is for
  /// messages answered without one (an order given up).
  virtual dms::Status completeMessages(std::int64_t orderId, std::int64_t upToSeq) = 0;
  /// Postpones the messages of `orderId` with seq <= upToSeq, counts an attempt and records
  /// why and when it failed (and, for the first failure, since when) and how long the order
  /// has been failing (InboxMessage::failingSeconds).
  virtual dms::Status postponeMessages(std::int64_t orderId, std::int64_t upToSeq,
                                       std::int64_t notBeforeEpoch, std::int64_t failedAtEpoch,
                                       std::int64_t failingSeconds, const std::string& error) = 0;
  /// Messages waiting (due or postponed).
  virtual dms::Result<std::size_t> inboxSize() = 0;

  // --- cost ledger (issue 12)
  /// Upserts the lines' descriptions and appends the entries, in ONE transaction.
  virtual dms::Status recordCosts(const std::vector<LedgerLine>& lines,
                                  const std::vector<LedgerEntry>& entries) = 0;
  /// The ledger lines of one order, by line (all orders: ledgerOfOrdersAfter, a page at a time).
  virtual dms::Result<std::vector<LedgerLine>> ledgerLines(std::int64_t orderId) = 0;
  /// The ledger entries of one order, in the order they were recorded.
  virtual dms::Result<std::vector<LedgerEntry>> ledgerEntries(std::int64_t orderId) = 0;

  // --- Several hosts (issue 11): leases, and cancelling waits.
  /// A lease held by this process; destroying it releases it. It lapses by itself when the
  /// holding process dies (kill -9 included). Must not outlive the store that granted it.
  class Lease {
   public:
    virtual ~Lease() = default;
  };
  enum class LeaseMode { Exclusive, Shared };
  /// Takes the lease on `key` without waiting: the held lease, or nullptr while another
  /// process holds it (Exclusive conflicts with any holder, Shared only with an Exclusive one).
  /// Leases of one store are not reentrant: ask once per key (the Reconciler serialises an
  /// order's threads itself). SQLite always grants it: its data folder lock already makes one
  /// process the only one.
  virtual dms::Result<std::unique_ptr<Lease>> tryLease(const LeaseKey& key,
                                                       LeaseMode mode = LeaseMode::Exclusive) = 0;
  /// Whether other processes may use this state at the same time (PostgreSQL), so that work
  /// is coordinated by leases instead of the data folder's lock (SQLite).
  virtual bool sharedByProcesses() const = 0;
  /// Ends waits inside calls in flight: stop() calls it. Thread-safe. PostgreSQL: a wait for a
  /// free connection ends, and later calls fail at once with Cancelled until resumeWaits().
  /// SQLite: a writer waiting for another thread's sync of the log syncs it itself (its commit
  /// is written, so it is reported done, not Cancelled); see SqliteStateStore.h.
  virtual void cancelWaits() noexcept {}
  /// Undoes cancelWaits().
  virtual void resumeWaits() noexcept {}

  // --- status as data (the status, failures commands; a host's own UI through --json).
  // Filtered and paged in SQL: fast with 10k+ orders.
  /// One page of the orders matching `query`, newest tracked first, with their asset counts,
  /// and how many match in all.
  virtual dms::Result<OrderPage> orderPage(const OrderQuery& query) = 0;
  /// Assets in the Failed state, by order and asset id; at most `limit`.
  virtual dms::Result<std::vector<AssetRecord>> failedAssets(std::size_t limit) = 0;
  // --- document events outbox (issue 10). commit() writes the events its audit entries report
  // (outboxEventsFor) in its own transaction; these read and retire them.
  /// The first waiting event of each order (never a later one while an earlier one of the same
  /// order waits: delivery is in order per order), if due at nowEpoch (notBeforeEpoch <=
  /// nowEpoch, or a wait longer than `longestWaitSeconds`, left by a clock set back), oldest
  /// first, at most `limit`.
  virtual dms::Result<std::vector<OutboxEvent>> dueEvents(std::int64_t nowEpoch,
                                                          std::int64_t longestWaitSeconds,
                                                          std::size_t limit) = 0;
  /// Removes a delivered event.
  virtual dms::Status completeEvent(std::int64_t seq) = 0;
  /// Counts a failed delivery and postpones the event (and so its order's later ones).
  virtual dms::Status postponeEvent(std::int64_t seq, std::int64_t notBeforeEpoch,
                                    const std::string& error) = 0;
  /// Events waiting.
  virtual dms::Result<std::size_t> outboxSize() = 0;
  /// Drops the oldest events beyond the newest `keep` (the retention bound); returns how many
  /// were dropped (the caller warns: never silently).
  virtual dms::Result<std::size_t> dropOldestEvents(std::size_t keep) = 0;
  // --- push group commit (issue 15)
  /// Stores `messages` as enqueue() would, one after the other, in ONE transaction (one sync
  /// for all of them). The outer error is a failed transaction (none stored); otherwise one
  /// result a message, in order: its seq, or its refusal ("inbox full", nothing stored for it).
  /// `merged` (optional, metrics): one flag a message, whether a message of its order was
  /// already waiting.
  virtual dms::Result<std::vector<dms::Result<std::int64_t>>> enqueueBatch(
      const std::vector<InboxMessage>& messages, std::size_t maxOrders = 0,
      std::vector<bool>* merged = nullptr) = 0;
  // --- one state transaction per order (issue 15)
  /// Writes every part of `changes` in ONE transaction: all of it or (failing, or killed)
  /// nothing. Nothing at all when `changes` is empty.
  virtual dms::Status commitOrder(const OrderChanges& changes) = 0;
  // --- scale (issue 15): one query for many orders instead of one an order
  /// The assets in the Failed state of the orders `orderIds`, by order and asset id. The caller
  /// keeps the list short (a few hundred ids: one query each).
  virtual dms::Result<std::vector<AssetRecord>> failedAssetsOfOrders(
      const std::vector<std::int64_t>& orderIds) = 0;
  // --- the commit log kept at its working size (issue 15, branch pushack)
  /// Called when the long-running service starts (push acks wait for commits): prepares the
  /// store so that its commits' syncs stay short. SQLite: the write-ahead log is extended to
  /// its working size. Best effort, never fails; nothing to do elsewhere (PostgreSQL).
  virtual void reserveCommitLog() {}

  // --- CPU per order (issue 15, branch ordercpu)
  /// Sets the "checked" time of each order (kept when the stored one is later), all in ONE
  /// transaction; nothing at all when `checks` is empty. Nothing else of the orders changes.
  virtual dms::Status recordChecks(const std::vector<OrderCheck>& checks) = 0;

  // --- whole-table loads (issue 15, branch scalerest): aggregates and per-path lookups, so
  // that memory stays flat whatever the number of orders and assets
  /// How many tracked orders have each status ("" before the first GET), by status.
  virtual dms::Result<std::vector<OrderStatusCount>> orderCountsByStatus() = 0;
  /// Whether the state places one of its files at `path`: an asset Filed there, or Removed with
  /// the move policy to there (verify's orphan search asks this per file it finds).
  virtual dms::Result<bool> placesFileAt(const std::string& path) = 0;
  /// At most `limit` assets in the Filed state that come after (`afterOrderId`, `afterAssetId`)
  /// by order and asset id: verify pages through the filed assets instead of holding them all.
  /// The first page: after (kBeforeAnyOrder, "").
  virtual dms::Result<std::vector<AssetRecord>> filedAssetsAfter(std::int64_t afterOrderId,
                                                                 const std::string& afterAssetId,
                                                                 std::size_t limit) = 0;
  static constexpr std::int64_t kBeforeAnyOrder = std::numeric_limits<std::int64_t>::min();

  // --- checkpoints off the commit path (issue 15, branch pushtail)
  /// Called when the long-running service starts, beside reserveCommitLog(): from then on a
  /// commit no longer copies the log into the database itself (which made the push acks of
  /// that commit wait for it) unless the log reached its bound; checkpointIfDue() does it,
  /// without blocking commits. SQLite only; nothing to do elsewhere (PostgreSQL).
  virtual void moveCheckpointsOffCommits() {}
  /// Runs a checkpoint when the commits since the last one made it due; never waits for a lock
  /// and never blocks a commit. Returns whether one ran. The push workers call it between
  /// orders (and when idle, after each push commit wakes them). Thread-safe, never fails (a
  /// checkpoint that cannot run now is due again after the next commit).
  virtual bool checkpointIfDue() { return false; }

  // --- whole-table reads paged (issue 15, branch pglazy): memory flat whatever the number of
  // orders (filing/PagedReadsSql.h)
  /// At most `limit` tracked orders' ids and finished times, the first after `afterOrderId`,
  /// by id: the poller and sync page through them (forEachOrderDueForCheck). The first page:
  /// after kBeforeAnyOrder; the last is shorter than `limit`.
  virtual dms::Result<std::vector<OrderFinish>> orderFinishTimesAfter(std::int64_t afterOrderId,
                                                                      std::size_t limit) = 0;
  /// The ledger of the next at most `orderLimit` orders with ledger entries after
  /// `afterOrderId` (the costs report pages through the ledger). The first page: after
  /// kBeforeAnyOrder; an empty page (no entries) is the end.
  virtual dms::Result<LedgerPage> ledgerOfOrdersAfter(std::int64_t afterOrderId,
                                                      std::size_t orderLimit) = 0;

  // --- the last whole-table reads paged (issue 15, branch pagerest): memory flat whatever the
  // number of orders and assets (filing/PagedReadsSql.h)
  /// At most `limit` ids of the orders with an unfinished intent (an asset in the Filing or
  /// Removing state), the first after `afterOrderId`, by id: recovery pages through them. The
  /// first page: after kBeforeAnyOrder; the last is shorter than `limit`.
  virtual dms::Result<std::vector<std::int64_t>> ordersWithIntentsAfter(std::int64_t afterOrderId,
                                                                        std::size_t limit) = 0;
};

}  // namespace ambita::filing
