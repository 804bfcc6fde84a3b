#include "ListenAddress.h"

#include <algorithm>

namespace dms::host {

std::optional<ListenAddress> ListenAddress::parse(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  const bool numeric =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (host.empty() || !numeric || std::stoul(port) > 65535) return std::nullopt;
  return ListenAddress{host, static_cast<std::uint16_t>(std::stoul(port))};
}

bool ListenAddress::loopback() const {
  return host.starts_with("127.") || host == "::1" || host == "[::1]" || host == "localhost";
}

}  // namespace dms::host
