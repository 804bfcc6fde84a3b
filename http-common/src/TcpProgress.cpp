#include "TcpProgress.h"

#include <linux/sockios.h>  // SIOCOUTQ
#include <linux/tcp.h>      // tcp_info with tcpi_bytes_acked (Linux 4.1)
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstddef>

namespace dms::http {

std::optional<std::uint64_t> tcpBytesAcked(int fd) noexcept {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0 ||
      size < offsetof(tcp_info, tcpi_bytes_acked) + sizeof info.tcpi_bytes_acked)
    return std::nullopt;
  return info.tcpi_bytes_acked;
}

std::uint64_t tcpBytesUnacknowledged(int fd) noexcept {
  int queued = 0;
  if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || queued < 0) return 0;
  return static_cast<std::uint64_t>(queued);
}

}  // namespace dms::http
