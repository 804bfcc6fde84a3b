#include "HostMetrics.h"

namespace dms::host {
namespace {

/// A label value as the exposition format writes it (backslash, quote, newline escaped).
std::string labelValue(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

HostMetrics::HostMetrics(const std::vector<Route>& routes, std::string version)
    : version_(std::move(version)) {
  for (const auto& route : routes) routePaths_.insert(route.path);
}

void HostMetrics::requestAnswered(const std::string& path, int status) noexcept {
  try {
    const std::string route = routePaths_.count(path) ? path : "other";
    const std::string code = std::to_string(status / 100) + "xx";
    std::lock_guard lock(mutex_);
    ++requests_[{route, code}];
  } catch (...) {
    // Out of memory: one request goes uncounted; answering it matters more.
  }
}

std::string HostMetrics::render() const {
  std::string out =
      "# HELP dms_host_build_info The dms-host answering, by version (always 1)\n"
      "# TYPE dms_host_build_info gauge\n"
      "dms_host_build_info{version=\"" +
      labelValue(version_) +
      "\"} 1\n"
      "# HELP dms_host_http_requests_total Requests answered on http.listen, by route and "
      "status class\n"
      "# TYPE dms_host_http_requests_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [key, count] : requests_)
    out += "dms_host_http_requests_total{route=\"" + labelValue(key.first) + "\",code=\"" +
           key.second + "\"} " + std::to_string(count) + "\n";
  return out;
}

Route metricsRoute(const HostMetrics& metrics, Plugin& plugin) {
  Route route;
  route.method = "GET";
  route.path = kMetricsPath;
  route.maxBodyBytes = 0;
  route.handler = [&metrics, &plugin](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.render() + plugin.metricsText()};
  };
  return route;
}

}  // namespace dms::host
