#pragma once
/// Planning, separate from acting: what a reconcile will do with each asset of an order, from
/// the order Ambita returned, what the state knows of its assets and the configuration, decided
/// by one pure function (no I/O, no clock of its own). Reconciler::reconcile() acts on the plan;
/// Reconciler::preview() shows it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/Model.h"
#include "filing/AssetMapper.h"
#include "filing/FilingConfig.h"
#include "filing/StateStore.h"

namespace ambita::filing {

enum class PlannedAction {
  File,         ///< new, or failed and due again: download and put
  Wait,         ///< failed, its backoff not over or given up: left for later (shown by status)
  Remove,       ///< filed and withdrawn (asset DELETED, or the order cancelled/refunded)
  Move,         ///< as Remove, with filing.withdrawnPolicy = move
  Keep,         ///< nothing to do (already filed, removed, or not ours to act on)
  NoteRemoved,  ///< withdrawn before it was filed: recorded as removed, nothing on the target
  Skip,         ///< an asset status this plugin does not know: logged and left alone
};
std::string toString(PlannedAction action);

struct PlannedAsset {
  /// The asset as walked in the order; for a withdrawn order, the known record's asset
  /// (context.asset.id only) when Ambita no longer lists it.
  AssetContext context;
  std::optional<AssetRecord> known;  ///< what the state knows of it
  PlannedAction action = PlannedAction::Keep;
  std::string why;  ///< one line for a person (preview, logs)
};

struct OrderPlan {
  bool withdrawnOrder = false;  ///< CANCELLED or REFUNDED: every filed asset goes
  std::vector<PlannedAsset> assets;
  /// The planned assets by id, for looking many up (one walk, not one per lookup: an order
  /// may list up to 10,000 assets). Valid while `assets` is unchanged.
  std::unordered_map<std::string_view, const PlannedAsset*> byId() const;
};

/// When a failed asset may be filed again.
struct RetryRule {
  std::int64_t nowEpoch = 0;
  /// An administrator's sync retries every failed asset that is not given up, at once.
  bool retryFailedNow = false;
};

/// The plan for `order` given `known` (the state's records of its assets, by id). An order
/// that is cancelled or refunded plans over what is known (by id); any other over the walked
/// assets (both levels, each once). `known` is taken by value: its records move into the plan
/// (callers that no longer need theirs pass std::move).
OrderPlan planOrder(const api::OrderCollection& order, std::map<std::string, AssetRecord> known,
                    const FilingConfig& config, const RetryRule& retry);

/// True when a failed asset has used up filing.maxAttempts.
bool givenUp(const AssetRecord& record, const FilingConfig& config);

bool isWithdrawnOrder(const std::string& status);
bool isFinalOrder(const std::string& status);
bool isKnownOrderStatus(const std::string& status);

}  // namespace ambita::filing
