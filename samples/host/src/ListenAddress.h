#pragma once
/// "host:port" as the configuration writes a listener (http.listen, admin.listen).

#include <cstdint>
#include <optional>
#include <string>

namespace dms::host {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;

  /// nullopt unless `text` is "host:port" with a port 0-65535.
  static std::optional<ListenAddress> parse(const std::string& text);

  /// 127.0.0.0/8, ::1 or "localhost": only this machine can connect.
  bool loopback() const;
};

}  // namespace dms::host
