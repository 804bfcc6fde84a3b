#include "filing/Outbox.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <cstdio>
#include <random>
#include <string_view>

#include "filing/StateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {
namespace {

/// 128 random bits as 32 hex digits: unique without coordination between processes.
std::string randomEventId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::array<char, 33> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx%016llx",
                static_cast<unsigned long long>(generator()),
                static_cast<unsigned long long>(generator()));
  return std::string(hex.data());
}

/// The audit action a state change is recorded with, as an event kind; nullptr: no event
/// ("tracked", "interrupted": the asset's real outcome follows as its own entry).
const char* kindOfAction(const std::string& action) {
  using dms::DocumentEventKind;
  if (action == "filed") return dms::toString(DocumentEventKind::Filed);
  if (action == "removed") return dms::toString(DocumentEventKind::Removed);
  if (action == "moved") return dms::toString(DocumentEventKind::Moved);
  if (action == "failed") return dms::toString(DocumentEventKind::Failed);
  if (action == "given up") return dms::toString(DocumentEventKind::GaveUp);
  return nullptr;
}

/// `text` as a JSON string literal: quote, backslash and control characters escaped, the rest
/// (UTF-8 included) as is. Written by hand, not through Poco::JSON::Object and an ostringstream:
/// this runs for every filed file, and those cost a map of Vars and a stream each.
void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

/// What the state knows about the asset, under the keys the filed file's metadata uses: a JSON
/// object of strings (read back by toDocumentEvent).
std::string metadataJsonOf(const AssetRecord& r) {
  std::string out = "{";
  auto put = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    if (out.size() > 1) out += ',';
    appendJsonString(out, std::string("ambita.").append(key));
    out += ':';
    appendJsonString(out, value);
  };
  put("assetId", r.assetId);
  put("orderId", std::to_string(r.orderId));
  if (r.supplierOrderId != 0) put("supplierOrderId", std::to_string(r.supplierOrderId));
  if (r.orderLineId != 0) put("orderLineId", std::to_string(r.orderLineId));
  put("category", r.category);
  put("sha256", r.sha256);
  if (r.size != 0) put("size", std::to_string(r.size));
  put("filedAt", r.filedAt);
  out += '}';
  return out;
}

}  // namespace

std::vector<OutboxEvent> outboxEventsFor(const std::vector<AssetRecord>& assets,
                                         const std::vector<AuditEntry>& audit) {
  std::vector<OutboxEvent> events;
  for (const auto& entry : audit) {
    const char* kind = kindOfAction(entry.action);
    if (kind == nullptr || entry.assetId.empty()) continue;
    const AssetRecord* record = nullptr;
    for (const auto& a : assets)
      if (a.assetId == entry.assetId) record = &a;  // the last one written wins, as in the store
    OutboxEvent e;
    e.eventId = randomEventId();
    e.orderId = entry.orderId;
    e.assetId = entry.assetId;
    e.kind = kind;
    e.path = entry.path;
    e.time = entry.time;
    if (entry.action == "moved" && record != nullptr) {
      e.previousPath = entry.path;
      e.path = record->targetPath;
    }
    if (entry.action == "failed" || entry.action == "given up") e.detail = entry.detail;
    AssetRecord fallback;
    fallback.assetId = entry.assetId;
    fallback.orderId = entry.orderId;
    e.metadataJson = metadataJsonOf(record != nullptr ? *record : fallback);
    events.push_back(std::move(e));
  }
  return events;
}

dms::Result<dms::DocumentEvent> toDocumentEvent(const OutboxEvent& e) {
  using dms::DocumentEventKind;
  dms::DocumentEvent out;
  bool known = false;
  for (auto kind :
       {DocumentEventKind::Filed, DocumentEventKind::Replaced, DocumentEventKind::Removed,
        DocumentEventKind::Moved, DocumentEventKind::Failed, DocumentEventKind::GaveUp}) {
    if (e.kind == dms::toString(kind)) {
      out.kind = kind;
      known = true;
    }
  }
  const std::string where = "outbox event " + e.eventId + " (order " + std::to_string(e.orderId) +
                            ", asset " + e.assetId + ")";
  if (!known)
    return dms::fail(dms::ErrorCode::InvalidArgument, where + ": unknown kind '" + e.kind + "'");
  try {
    auto parsed = Poco::JSON::Parser().parse(e.metadataJson);
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [key, value] : *object) out.metadata[key] = value.convert<std::string>();
  } catch (const Poco::Exception& ex) {
    return dms::fail(dms::ErrorCode::InvalidArgument,
                     where + ": metadata is not a JSON object of strings: " + ex.displayText());
  }
  out.id = e.eventId;
  out.orderId = e.orderId;
  out.assetId = e.assetId;
  out.path = e.path;
  out.previousPath = e.previousPath;
  out.time = e.time;
  out.detail = e.detail;
  return out;
}

namespace rows {

const char* const kEventColumns =
    "seq, event_id, order_id, asset_id, kind, path, previous_path, metadata, detail, time, "
    "attempts, not_before, last_error";

OutboxEvent eventFromRow(const Poco::Data::RecordSet& rs, std::size_t r) {
  OutboxEvent e;
  e.seq = integer(rs, 0, r);
  e.eventId = text(rs, 1, r);
  e.orderId = integer(rs, 2, r);
  e.assetId = text(rs, 3, r);
  e.kind = text(rs, 4, r);
  e.path = text(rs, 5, r);
  e.previousPath = text(rs, 6, r);
  e.metadataJson = text(rs, 7, r);
  e.detail = text(rs, 8, r);
  e.time = text(rs, 9, r);
  e.attempts = static_cast<int>(integer(rs, 10, r));
  e.notBeforeEpoch = integer(rs, 11, r);
  e.lastError = text(rs, 12, r);
  return e;
}

}  // namespace rows
}  // namespace ambita::filing
