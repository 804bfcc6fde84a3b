#pragma once
/// Document events: what the plugin tells its host after each state change it commits (a file
/// filed, moved, removed, a failure, an asset given up). Added within interface 1.1 (see
/// host-sdk/README.md, Versioning: HostServices::eventSink).
///
/// Delivery is at least once and in order per order: the plugin writes each event into a
/// durable outbox in the same transaction as the change it reports, and a delivery thread of
/// its own hands them to the sink one at a time per order until the sink accepts them. A host
/// dedupes by DocumentEvent::id (the same event may come again after a crash or a restart).

#include <cstdint>
#include <string>

#include "dms/DocumentTarget.h"
#include "dms/Error.h"

namespace dms {

enum class DocumentEventKind {
  Filed,     ///< a file was stored at `path`
  Replaced,  ///< a file at `path` was stored again with new content (not sent by Ambita)
  Removed,   ///< the file at `path` was removed (withdrawn by the supplier)
  Moved,     ///< the file went from `previousPath` to `path` (withdrawn, move policy)
  Failed,    ///< filing failed (`detail` says why); it is retried later
  GaveUp,    ///< filing failed too often; not retried until an administrator asks
};

/// Lower-case wire names: "filed", "replaced", "removed", "moved", "failed", "gaveUp".
inline const char* toString(DocumentEventKind kind) noexcept {
  switch (kind) {
    case DocumentEventKind::Filed:
      return "filed";
    case DocumentEventKind::Replaced:
      return "replaced";
    case DocumentEventKind::Removed:
      return "removed";
    case DocumentEventKind::Moved:
      return "moved";
    case DocumentEventKind::Failed:
      return "failed";
    case DocumentEventKind::GaveUp:
      return "gaveUp";
  }
  return "failed";
}

struct DocumentEvent {
  std::string id;  ///< stable and unique: the same event delivered again has the same id
  DocumentEventKind kind = DocumentEventKind::Filed;
  std::int64_t orderId = 0;
  std::string assetId;
  std::string path;          ///< the document's path in the target (moved: where it is now)
  std::string previousPath;  ///< moved: where it was; empty otherwise
  Metadata metadata;         ///< what the plugin recorded about the document
  std::string time;          ///< when the change was committed, ISO 8601 UTC
  std::string detail;        ///< failed / gaveUp: why (no secrets); empty otherwise
};

/// Implemented by a host that wants events. Called from the plugin's own delivery thread (and
/// at the end of a `sync` command, from the thread that runs it), one event at a time, never
/// concurrently. It should return within seconds (a network sink bounds every call with a
/// deadline). A non-OK status means "not delivered, try again later": the plugin keeps the
/// event and offers it again with backoff, before any later event of the same order.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual Status deliver(const DocumentEvent& event) noexcept = 0;
};

}  // namespace dms
