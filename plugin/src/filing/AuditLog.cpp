#include "filing/AuditLog.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace ambita::filing {

std::string toString(Reason reason) {
  switch (reason) {
    case Reason::Push:
      return "push";
    case Reason::Poll:
      return "poll";
    case Reason::Admin:
      return "admin";
    case Reason::Sync:
      return "sync";
    case Reason::Recovery:
      return "recovery";
  }
  return "admin";
}

std::string AuditLog::now() {
  return at(std::time(nullptr));
}

std::string AuditLog::at(std::int64_t epochSeconds) {
  // The text Poco's ISO8601_FORMAT writes for UTC ("2026-11-28T13:37:00Z"), without its
  // formatter: every filed file is stamped, and Poco's took measurable CPU (issue 15).
  const auto time = static_cast<std::time_t>(epochSeconds);
  std::tm utc{};
  if (!gmtime_r(&time, &utc)) return std::to_string(epochSeconds);
  std::array<char, 64> text{};
  const int length =
      std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900,
                    utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return std::string(text.data(), static_cast<std::size_t>(std::max(length, 0)));
}

AuditEntry AuditLog::entry(std::int64_t orderId, const std::string& assetId,
                           const std::string& action, Reason reason, const std::string& path,
                           const std::string& detail) {
  AuditEntry e;
  e.time = now();
  e.orderId = orderId;
  e.assetId = assetId;
  e.action = action;
  e.reason = toString(reason);
  e.path = path;
  e.detail = detail;
  return e;
}

dms::Status AuditLog::print(std::ostream& out, std::optional<std::int64_t> orderId,
                            std::size_t limit) {
  auto entries = store_.audit(orderId, limit);
  if (!entries) return entries.error();
  if (entries->empty()) {
    out << "audit log is empty" << (orderId ? " for order " + std::to_string(*orderId) : "")
        << "\n";
    return {};
  }
  for (const auto& e : *entries) {
    out << e.time << "  order " << e.orderId << "  " << e.action << " (" << e.reason << ")";
    if (!e.assetId.empty()) out << "  asset " << e.assetId;
    if (!e.path.empty()) out << "  " << e.path;
    if (!e.detail.empty()) out << "  — " << e.detail;
    if (!e.actor.empty()) out << "  (asked by " << e.actor << ")";
    out << "\n";
  }
  return {};
}

namespace {

/// The audit entry of an order tracked for the first time.
AuditEntry trackedEntry(const TrackedOrder& order, Reason reason, const std::string& detail,
                        const std::string& actor) {
  auto tracked = AuditLog::entry(order.id, "", "tracked", reason, "", detail);
  tracked.actor = actor;
  return tracked;
}

/// Fills the fields of `stored` that are empty from `seen`, as StateStore::trackOrder does in
/// the database (the first known reference decides the folder); true when one was filled.
bool fillGaps(TrackedOrder& stored, const TrackedOrder& seen) {
  bool filled = false;
  for (auto [field, value] :
       {std::pair{&stored.reference, &seen.reference},
        std::pair{&stored.technicalReference, &seen.technicalReference},
        std::pair{&stored.cadastre, &seen.cadastre}, std::pair{&stored.address, &seen.address}}) {
    if (!field->empty() || value->empty()) continue;
    *field = *value;
    filled = true;
  }
  return filled;
}

}  // namespace

dms::Result<bool> trackAndAudit(StateStore& store, TrackedOrder order, Reason reason,
                                const std::string& detail, const std::string& actor) {
  if (order.trackedAt.empty()) order.trackedAt = AuditLog::now();
  auto isNew = store.trackOrder(order);
  if (!isNew || !*isNew) return isNew;
  if (auto s = store.commit({}, {trackedEntry(order, reason, detail, actor)}); !s) return s.error();
  return true;
}

dms::Result<TrackedOrder> trackInto(StateStore& store, TrackedOrder order, Reason reason,
                                    OrderChanges& changes) {
  if (order.trackedAt.empty()) order.trackedAt = AuditLog::now();
  auto stored = store.order(order.id);
  if (!stored) return stored.error();
  if (!*stored) {
    changes.audit.push_back(trackedEntry(order, reason, "", ""));
    changes.track = order;
    return order;
  }
  TrackedOrder tracked = **stored;
  if (fillGaps(tracked, order)) changes.track = order;
  return tracked;
}

}  // namespace ambita::filing
