#include "dms/http/Origin.h"

#include <Poco/String.h>

namespace dms::http {

Result<Origin> Origin::of(const Poco::URI& uri) {
  Origin o;
  o.scheme = Poco::toLower(uri.getScheme());
  o.host = Poco::toLower(uri.getHost());
  o.port = uri.getPort();
  if ((o.scheme != "http" && o.scheme != "https") || o.host.empty())
    return fail(ErrorCode::InvalidArgument,
                "not an absolute http(s) URL: '" + redactedUrl(uri) + "'");
  if (o.port == 0) o.port = o.scheme == "https" ? 443 : 80;
  return o;
}

std::string Origin::str() const {
  return scheme + "://" + host + ":" + std::to_string(port);
}

std::string redactedUrl(const Poco::URI& uri) {
  std::string s = uri.getScheme().empty() ? "" : uri.getScheme() + "://";
  s += uri.getAuthority().empty() ? "" : uri.getHost();
  // getPort() answers the scheme's default when none was given; show only explicit ones.
  const std::uint16_t defaultPort = uri.getScheme() == "https" ? 443 : 80;
  if (uri.getPort() != 0 && uri.getPort() != defaultPort) s += ":" + std::to_string(uri.getPort());
  s += uri.getPath();
  if (!uri.getRawQuery().empty()) s += "?…";
  return s;
}

}  // namespace dms::http
