#include "filing/AuditLog.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

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
  return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string AuditLog::at(std::int64_t epochSeconds) {
  return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(epochSeconds),
                                         Poco::DateTimeFormat::ISO8601_FORMAT);
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

dms::Result<bool> trackAndAudit(StateStore& store, TrackedOrder order, Reason reason,
                                const std::string& detail, const std::string& actor) {
  if (order.trackedAt.empty()) order.trackedAt = AuditLog::now();
  auto isNew = store.trackOrder(order);
  if (!isNew || !*isNew) return isNew;
  auto tracked = AuditLog::entry(order.id, "", "tracked", reason, "", detail);
  tracked.actor = actor;
  if (auto s = store.commit({}, {tracked}); !s) return s.error();
  return true;
}

}  // namespace ambita::filing
