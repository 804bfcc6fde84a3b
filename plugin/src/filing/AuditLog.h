#pragma once
/// Builds audit entries (what happened to which file, when, and why) and reads them back for
/// the `audit` command. Entries are written by the engine together with the state change they
/// describe (StateStore::commit), so the log never claims what the state does not hold.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "filing/StateStore.h"

namespace ambita::filing {

/// Why the engine acted.
enum class Reason { Push, Poll, Admin, Sync, Recovery };
std::string toString(Reason reason);

/// Tracks `order` (StateStore::trackOrder) and audits "tracked" (with `detail`, and `actor`:
/// who asked, "" when unknown) only when it was new; true when it was. The one rule for tracking,
/// used by the Reconciler (an order first seen by a GET) and FilingService::track (the track and
/// order commands).
dms::Result<bool> trackAndAudit(StateStore& store, TrackedOrder order, Reason reason,
                                const std::string& detail = "", const std::string& actor = "");

/// trackAndAudit() for a caller that writes it together with more (StateStore::commitOrder):
/// adds to `changes` what tracking `order` writes (the order and, when it is new, the
/// "tracked" entry; nothing when the stored order already has every field it would fill) and
/// returns the order as it is stored afterwards. Reads the store, writes nothing.
dms::Result<TrackedOrder> trackInto(StateStore& store, TrackedOrder order, Reason reason,
                                    OrderChanges& changes);

class AuditLog {
 public:
  explicit AuditLog(StateStore& store) : store_(store) {}

  /// Current UTC time as ISO 8601 ("2026-11-28T13:37:00Z").
  static std::string now();
  /// `epochSeconds` as ISO 8601 UTC.
  static std::string at(std::int64_t epochSeconds);

  /// An entry stamped now.
  static AuditEntry entry(std::int64_t orderId, const std::string& assetId,
                          const std::string& action, Reason reason, const std::string& path,
                          const std::string& detail = "");

  /// Writes the log (all orders or one), oldest first, as aligned text lines.
  dms::Status print(std::ostream& out, std::optional<std::int64_t> orderId,
                    std::size_t limit = 10000);

 private:
  StateStore& store_;
};

}  // namespace ambita::filing
