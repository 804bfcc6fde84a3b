#pragma once
/// What the Ambita plugin counts, registered once per plugin object in its own Registry and
/// rendered by dms::Plugin::metricsText() (the host serves it on GET /metrics). Each number is
/// counted where its event happens:
///   FilingMetrics   the reconciler: its report per order (files, bytes), each download, the
///                   duration of each reconcile
///   PushMetrics     the push endpoint: every request, every refusal by reason; the push
///                   inbox: every push merged into its order's waiting message
///   sampled         read when rendered: the inbox depth and the tracked orders by status from
///                   the state store, the API answers by status class and the retries from the
///                   client's CallCounters (counted by its attempt loops), whether the
///                   target's last recover() left leftovers (its record in the data folder)
/// Names are prefixed `ambita_`; units are seconds and bytes (see the README's metrics table).

#include <functional>
#include <string>

#include "dms/http/CallCounters.h"
#include "metrics/MetricsRegistry.h"

namespace ambita::filing {
class StateStore;
}

namespace ambita::metrics {

struct FilingMetrics {
  Counter* filed = nullptr;
  Counter* removed = nullptr;
  Counter* failed = nullptr;
  Counter* filedBytes = nullptr;
  Gauge* downloadsInFlight = nullptr;
  Histogram* reconcileSeconds = nullptr;
};

/// Why the push endpoint refused a message (the `reason` label of
/// ambita_push_messages_rejected_total).
enum class PushRejection { TooLarge, BadQuery, NoToken, WrongToken, BadMessage, NotStored };

class PushMetrics {
 public:
  explicit PushMetrics(Registry& registry);
  void received() noexcept { received_.add(); }
  void coalesced() noexcept { coalesced_.add(); }
  void rejected(PushRejection reason) noexcept;

 private:
  Counter& received_;
  Counter& coalesced_;
  Counter* rejected_[6];
};

class PluginMetrics {
 public:
  PluginMetrics();
  PluginMetrics(const PluginMetrics&) = delete;
  PluginMetrics& operator=(const PluginMetrics&) = delete;

  /// Registers the sampled families: `store` and `calls` must outlive this object.
  void sampleFrom(filing::StateStore& store, const dms::http::CallCounters& calls);
  /// Registers ambita_target_leftovers: 1 while `leftoversRemain` says so when rendered (the
  /// record recover() keeps in the data folder, filing::targetLeftovers).
  void sampleTargetLeftovers(std::function<bool()> leftoversRemain);

  FilingMetrics& filing() { return filing_; }
  PushMetrics& push() { return push_; }
  std::string render() const { return registry_.render(); }

 private:
  Registry registry_;
  FilingMetrics filing_;
  PushMetrics push_;
};

}  // namespace ambita::metrics
