#pragma once
/// GET /metrics on http.listen (served by `dms-host run` beside /healthz and /readyz): the
/// host's own families, then the plugin's (dms::Plugin::metricsText()), in the Prometheus text
/// exposition format (version 0.0.4):
///
///   dms_host_build_info{version="0.1.0"} 1               gauge: which host answers
///   dms_host_http_requests_total{route="/ambita/push",code="2xx"} 3
///                                                       counter: every request answered on
///                                                       http.listen, by route (a path of no
///                                                       route counts as "other", so unknown
///                                                       paths cannot grow the table) and
///                                                       status class
///
/// A plugin built for interface 1.0 has no metricsText(): the loader's shield answers nothing
/// for it, and /metrics shows the host's families only.

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dms/Plugin.h"

namespace dms::host {

inline constexpr const char* kMetricsPath = "/metrics";

class HostMetrics {
 public:
  /// `routePaths`: the paths served (every other path is counted as "other").
  HostMetrics(const std::vector<Route>& routes, std::string version);

  /// Counts one answered request; thread-safe, holds a lock for the increment only.
  void requestAnswered(const std::string& path, int status) noexcept;

  /// The host's families in the exposition format.
  std::string render() const;

 private:
  std::set<std::string> routePaths_;
  std::string version_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;  ///< (route, class)
};

/// The GET /metrics route: `metrics`' families, then `plugin`'s. Both must outlive the route.
Route metricsRoute(const HostMetrics& metrics, Plugin& plugin);

}  // namespace dms::host
