#pragma once
/// The document-event outbox (issue 10): what a state change reports to the host, stored in
/// the same transaction as the change (StateStore::commit), delivered later by
/// events::EventDelivery, one event at a time per order, and removed once the host took it.

#include <Poco/Data/RecordSet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dms/Events.h"

namespace ambita::filing {

struct AssetRecord;
struct AuditEntry;

/// One event waiting in the outbox.
struct OutboxEvent {
  std::int64_t seq = 0;  ///< assigned by the store; the order of delivery within an order
  std::string eventId;   ///< stable: DocumentEvent::id
  std::int64_t orderId = 0;
  std::string assetId;
  std::string kind;  ///< dms::toString(DocumentEventKind): "filed", "moved", ...
  std::string path;
  std::string previousPath;
  std::string metadataJson;  ///< a JSON object of strings
  std::string detail;
  std::string time;
  int attempts = 0;                 ///< failed deliveries so far
  std::int64_t notBeforeEpoch = 0;  ///< not offered again before (retry backoff)
  std::string lastError;            ///< why the last delivery failed
};

/// The events that a commit of `assets` and `audit` reports: one per audit entry that files,
/// moves, removes, fails or gives up an asset, with its record's path and metadata. Each gets a
/// new random id. Both state stores call it inside commit(), so the events and the change they
/// report are one transaction.
std::vector<OutboxEvent> outboxEventsFor(const std::vector<AssetRecord>& assets,
                                         const std::vector<AuditEntry>& audit);

/// The event as the host sees it (metadataJson parsed; a kind this code does not know, or
/// metadata that is not a JSON object, becomes an InvalidArgument naming the event).
dms::Result<dms::DocumentEvent> toDocumentEvent(const OutboxEvent& event);

namespace rows {
/// Column list of the events table in the order eventFromRow reads it.
extern const char* const kEventColumns;
OutboxEvent eventFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
}  // namespace rows

}  // namespace ambita::filing
