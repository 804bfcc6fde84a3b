#include "filing/OrderPlan.h"

#include "filing/Clock.h"

namespace ambita::filing {
namespace {

PlannedAction removal(const FilingConfig& config) {
  return config.withdrawnPolicy == WithdrawnPolicy::Move ? PlannedAction::Move
                                                         : PlannedAction::Remove;
}

/// A failed asset is filed again once its backoff has passed (at once for an administrator's
/// sync), until it is given up.
bool dueForRetry(const AssetRecord& record, const FilingConfig& config, const RetryRule& retry) {
  if (givenUp(record, config)) return false;
  if (retry.retryFailedNow) return true;
  return retryDue(record.notBeforeEpoch, retry.nowEpoch,
                  std::int64_t{config.assetRetryMaxMinutes} * 60);
}

PlannedAsset planOk(PlannedAsset p, const FilingConfig& config, const RetryRule& retry) {
  if (!p.known) {
    p.action = PlannedAction::File;
    p.why = "new";
  } else if (p.known->state != AssetState::Failed) {
    p.action = PlannedAction::Keep;
    p.why = "already " + toString(p.known->state);
  } else if (dueForRetry(*p.known, config, retry)) {
    p.action = PlannedAction::File;
    p.why = "failed before, due again";
  } else {
    p.action = PlannedAction::Wait;
    p.why = givenUp(*p.known, config) ? "given up (filing.maxAttempts)" : "waiting for its retry";
  }
  return p;
}

/// A failed attempt that had chosen its name may have placed the file all the same (placed,
/// then the folder's sync or the answer failed): withdrawn, it is looked for and removed if it
/// is there and ours (the removal checks the file's metadata names the asset).
bool mayHaveLeftItsFile(const AssetRecord& record) {
  return record.state == AssetState::Failed && !record.path.empty();
}

PlannedAsset planDeleted(PlannedAsset p, const FilingConfig& config) {
  if (p.known && p.known->state == AssetState::Filed) {
    p.action = removal(config);
    p.why = "withdrawn by Ambita";
  } else if (p.known && mayHaveLeftItsFile(*p.known)) {
    p.action = removal(config);
    p.why = "withdrawn by Ambita after a failed attempt, which may have placed it";
  } else if (!p.known || p.known->state == AssetState::Failed) {
    p.action = PlannedAction::NoteRemoved;
    p.why = "withdrawn before it was filed";
  } else {
    p.action = PlannedAction::Keep;
    p.why = "already " + toString(p.known->state);
  }
  return p;
}

}  // namespace

std::string toString(PlannedAction action) {
  switch (action) {
    case PlannedAction::File:
      return "file";
    case PlannedAction::Wait:
      return "wait";
    case PlannedAction::Remove:
      return "remove";
    case PlannedAction::Move:
      return "move";
    case PlannedAction::Keep:
      return "keep";
    case PlannedAction::NoteRemoved:
      return "note removed";
    case PlannedAction::Skip:
      return "skip";
  }
  return "?";
}

std::unordered_map<std::string_view, const PlannedAsset*> OrderPlan::byId() const {
  std::unordered_map<std::string_view, const PlannedAsset*> index;
  index.reserve(assets.size());
  for (const auto& a : assets) index.emplace(a.context.asset.id, &a);  // the first, as a walk finds
  return index;
}

bool givenUp(const AssetRecord& record, const FilingConfig& config) {
  return record.state == AssetState::Failed && record.attempts >= config.assetMaxAttempts;
}

bool isWithdrawnOrder(const std::string& status) {
  return status == "CANCELLED" || status == "REFUNDED";
}
bool isFinalOrder(const std::string& status) {
  return status == "FINISHED" || isWithdrawnOrder(status);
}
bool isKnownOrderStatus(const std::string& status) {
  return status == "NEW" || status == "PROGRESS" || isFinalOrder(status);
}

OrderPlan planOrder(const api::OrderCollection& order, std::map<std::string, AssetRecord> known,
                    const FilingConfig& config, const RetryRule& retry) {
  // `walked` and `known` are this call's own: their contexts and records move into the plan
  // (a re-sync plans every asset of every order; copying each was measurable, issue 15).
  OrderPlan plan;
  plan.withdrawnOrder = isWithdrawnOrder(order.status);
  auto walked = AssetMapper::walk(order);
  plan.assets.reserve(plan.withdrawnOrder ? known.size() : walked.size());
  if (plan.withdrawnOrder) {
    // The last walked context of each id (the walk lists each asset once), found by id:
    // a scan per known asset was quadratic in an order's size.
    std::unordered_map<std::string_view, AssetContext*> walkedById;
    walkedById.reserve(walked.size());
    for (auto& context : walked) walkedById.insert_or_assign(context.asset.id, &context);
    for (auto& [id, record] : known) {
      PlannedAsset p;
      p.context.asset.id = id;
      if (auto it = walkedById.find(id); it != walkedById.end()) p.context = std::move(*it->second);
      const bool filed = record.state == AssetState::Filed || mayHaveLeftItsFile(record);
      p.action = filed ? removal(config) : PlannedAction::Keep;
      p.why = filed ? "the order was " + order.status : "already " + toString(record.state);
      p.known = std::move(record);
      plan.assets.push_back(std::move(p));
    }
    return plan;
  }
  for (auto& context : walked) {
    PlannedAsset p;
    if (auto it = known.find(context.asset.id); it != known.end()) p.known = std::move(it->second);
    p.context = std::move(context);
    const auto& status = p.context.asset.status;
    if (status == "OK") {
      plan.assets.push_back(planOk(std::move(p), config, retry));
    } else if (status == "DELETED") {
      plan.assets.push_back(planDeleted(std::move(p), config));
    } else {
      p.action = PlannedAction::Skip;
      p.why = "unknown status '" + status + "'";
      plan.assets.push_back(std::move(p));
    }
  }
  return plan;
}

}  // namespace ambita::filing
