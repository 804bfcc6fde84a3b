#include "metrics/PluginMetrics.h"

#include <algorithm>
#include <iterator>

#include "filing/StateStore.h"

namespace ambita::metrics {
namespace {

/// Buckets of ambita_reconcile_duration_seconds: one order takes from milliseconds (nothing
/// new) to minutes (many large downloads).
const std::vector<double> kReconcileBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                            1,     2.5,  5,     10,   30,  60,   300};

}  // namespace

PushMetrics::PushMetrics(Registry& registry)
    : received_(
          registry.counter("ambita_push_messages_received_total",
                           "Push requests received on the push route, refused ones included")),
      coalesced_(registry.counter("ambita_push_messages_coalesced_total",
                                  "Pushes merged into a message of their order already waiting")) {
  const char* reasons[] = {"too_large",   "bad_query",   "no_token",
                           "wrong_token", "bad_message", "not_stored"};
  for (std::size_t i = 0; i < std::size(reasons); ++i)
    rejected_[i] = &registry.counter("ambita_push_messages_rejected_total",
                                     "Push requests refused, by reason", {{"reason", reasons[i]}});
}

void PushMetrics::rejected(PushRejection reason) noexcept {
  rejected_[static_cast<std::size_t>(reason)]->add();
}

PluginMetrics::PluginMetrics()
    : filing_{&registry_.counter("ambita_files_filed_total", "Files put into the target"),
              &registry_.counter("ambita_files_removed_total",
                                 "Files removed from (or moved within) the target"),
              &registry_.counter("ambita_files_failed_total",
                                 "Files that could not be filed or removed (retried later)"),
              &registry_.counter("ambita_filed_bytes_total", "Bytes of the files put"),
              &registry_.gauge("ambita_downloads_in_flight", "Downloads running now"),
              &registry_.histogram("ambita_reconcile_duration_seconds",
                                   "Time to reconcile one order", kReconcileBuckets)},
      push_(registry_) {}

void PluginMetrics::sampleFrom(filing::StateStore& store, const dms::http::CallCounters& calls) {
  registry_.sampled("ambita_push_inbox_depth", "Orders waiting in the push inbox",
                    Registry::Type::Gauge, [&store]() -> std::vector<Sample> {
                      auto size = store.inboxSize();
                      if (!size) return {};  // no value rather than a wrong one
                      return {{{}, static_cast<double>(*size)}};
                    });
  registry_.sampled(
      "ambita_orders_tracked", "Tracked orders by their status at Ambita", Registry::Type::Gauge,
      [&store]() -> std::vector<Sample> {
        // Counted in SQL: a scrape holds one row a status, not every order.
        auto counts = store.orderCountsByStatus();
        if (!counts) return {};
        std::vector<Sample> samples;
        for (const auto& [status, orders] : *counts)
          samples.push_back(
              {{{"status", status.empty() ? "unknown" : status}}, static_cast<double>(orders)});
        // By label, as before ("unknown" among the statuses, not first).
        std::sort(samples.begin(), samples.end(),
                  [](const Sample& a, const Sample& b) { return a.labels < b.labels; });
        return samples;
      });
  registry_.sampled("ambita_api_responses_total",
                    "Answers from Ambita's API (token, calls, downloads) by status class",
                    Registry::Type::Counter, [&calls] {
                      std::vector<Sample> samples;
                      for (int statusClass = 1; statusClass <= 5; ++statusClass)
                        samples.push_back({{{"code", std::to_string(statusClass) + "xx"}},
                                           static_cast<double>(calls.answers(statusClass))});
                      return samples;
                    });
  registry_.sampled("ambita_api_retries_total", "Calls to Ambita's API tried again",
                    Registry::Type::Counter, [&calls]() -> std::vector<Sample> {
                      return {{{}, static_cast<double>(calls.retries())}};
                    });
}

void PluginMetrics::sampleTargetLeftovers(std::function<bool()> leftoversRemain) {
  registry_.sampled("ambita_target_leftovers",
                    "1 while leftovers the target's last recover() named could not be removed "
                    "(status names them), else 0",
                    Registry::Type::Gauge,
                    [remain = std::move(leftoversRemain)]() -> std::vector<Sample> {
                      return {{{}, remain() ? 1.0 : 0.0}};
                    });
}

}  // namespace ambita::metrics
