// Intent recovery, the Reconciler's own unit: what an interrupted run left in the Filing or
// Removing state is resolved from what the target holds (see Reconciler.h, "Crash safety").
// Runs for every order at the start of an exclusive run (Reconciler::recoverAll, which holds
// each order as a reconcile does) and before each reconcile of an order.
#include <filesystem>
#include <optional>
#include <system_error>

#include "filing/Reconciler.h"

namespace ambita::filing {
namespace {

constexpr const char* kSource = "ambita.filing";

}  // namespace

dms::Result<std::size_t> Reconciler::recoverAssets(const std::vector<AssetRecord>& records) {
  std::vector<AssetRecord> resolved;
  std::vector<AuditEntry> audit;
  std::optional<dms::Error> firstError;
  for (auto r : records) {
    if (auto s = resolveIntent(r, audit); !s) {
      if (!firstError) firstError = s.error();
      continue;
    }
    resolved.push_back(r);
  }
  if (auto s = store_.commit(resolved, audit); !s) return s.error();
  if (firstError)
    return dms::Error{firstError->code, "recovering interrupted work: " + firstError->message, {}};
  if (!resolved.empty())
    logger_.info(kSource, "resolved " + std::to_string(resolved.size()) + " interrupted action(s)");
  return resolved.size();
}

dms::Status Reconciler::resolveIntent(AssetRecord& r, std::vector<AuditEntry>& audit) {
  std::error_code ignored;
  std::filesystem::remove(spoolFile(r.assetId), ignored);
  if (r.state == AssetState::Filing) {
    auto ours = holdsAsset(r.path, r.assetId);
    if (!ours) return ours.error();
    if (!*ours) {
      // Never stored (or stored by nobody): file it again on the next reconcile.
      r.state = AssetState::Failed;
      r.lastError = "interrupted before the file was stored";
      audit.push_back(AuditLog::entry(r.orderId, r.assetId, "interrupted", Reason::Recovery, r.path,
                                      "not stored; filed again by the next reconcile"));
      return {};
    }
    auto md = target_.readMetadata(r.path);
    if (!md) return md.error();
    auto st = target_.stat(r.path);
    if (!st) return st.error();
    r.state = AssetState::Filed;
    r.size = st->size;
    r.sha256 = (*md)["ambita.sha256"];
    r.filedAt = md->count("ambita.filedAt") ? (*md)["ambita.filedAt"] : AuditLog::now();
    r.lastError.clear();
    audit.push_back(AuditLog::entry(r.orderId, r.assetId, "filed", Reason::Recovery, r.path,
                                    "stored before an interruption; recorded now"));
    return {};
  }
  if (r.state == AssetState::Removing) {
    if (auto s = performRemoval(r); !s) return s;
    const bool moved = !r.targetPath.empty();
    audit.push_back(
        AuditLog::entry(r.orderId, r.assetId, moved ? "moved" : "removed", Reason::Recovery, r.path,
                        moved ? "to " + r.targetPath : "completed after an interruption"));
    r.state = AssetState::Removed;
    r.removedAt = AuditLog::now();
  }
  return {};
}

}  // namespace ambita::filing
