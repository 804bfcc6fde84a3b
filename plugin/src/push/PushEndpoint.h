#pragma once
/// The HTTP side of push reception (POST /ambita/push by default): checks size, the optional
/// shared secret (?token=..., compared in constant time), the JSON body and its order id
/// (orderCollectionId or orderId), stores the message in the inbox and answers at once; the
/// reconcile happens later on a worker. Answers:
///   200 {"status":"queued","orderCollectionId":N}
///   400 {"error":"..."} bad JSON or order id, or a malformed query;
///   401 token missing;  403 token wrong;
///   413 body too large;  503 the inbox could not store it, or too many pushes wait for their
///   commit (Ambita may retry; {"error":...,"retryAfterSeconds":N} when a wait is advised).
/// The answer comes after the push's transaction committed (group commit: PushInbox).
/// Thread-safe; never throws; never logs the query (it carries the secret). Refusals are logged
/// through a dms::http::RefusalLog: a flood of bad or surplus pushes costs one log line a minute
/// (and one with their count).

#include <cstddef>
#include <string>

#include "dms/Logger.h"
#include "dms/Plugin.h"
#include "dms/http/RefusalLog.h"
#include "metrics/PluginMetrics.h"
#include "push/PushInbox.h"

namespace ambita::push {

class PushEndpoint {
 public:
  /// `secret` empty: no token required. Everything referred to outlives the endpoint.
  PushEndpoint(PushInbox& inbox, dms::Logger& logger, std::string secret, std::size_t maxBytes)
      : inbox_(inbox),
        logger_(logger),
        refusals_(logger, "ambita.push", {"push refused", "pushes refused"},
                  [&inbox] { return inbox.now(); }),
        openRoutePushes_(logger, "ambita.push",
                         {"push queued without a token", "pushes queued without a token"},
                         [&inbox] { return inbox.now(); }),
        secret_(std::move(secret)),
        maxBytes_(maxBytes) {}

  dms::HttpResponse handle(const dms::HttpRequest& request) noexcept;
  /// Logs the counts not logged one by one yet (the plugin stops: none is lost).
  void logHeldBackRefusals() noexcept {
    refusals_.flush();
    openRoutePushes_.flush();
  }

  /// Equal strings, in time independent of where they differ.
  static bool constantTimeEquals(const std::string& a, const std::string& b);

  // --- metrics (issue 9)
  /// Counts every request and every refusal into `metrics` from now on (null: not counted).
  /// Set before the route is served; `metrics` must outlive the endpoint.
  void countInto(metrics::PushMetrics* metrics) { metrics_ = metrics; }

 private:
  /// Counts a refusal (when counting) and makes its answer.
  dms::HttpResponse refuse(metrics::PushRejection reason, int status, const std::string& message);

  PushInbox& inbox_;
  dms::Logger& logger_;
  dms::http::RefusalLog refusals_;
  /// Pushes queued while the route has no secret: anyone may send them, so they are logged as
  /// refusals are (the first of a minute in full, the rest counted), never one line each.
  dms::http::RefusalLog openRoutePushes_;
  std::string secret_;
  std::size_t maxBytes_;
  metrics::PushMetrics* metrics_ = nullptr;
};

}  // namespace ambita::push
