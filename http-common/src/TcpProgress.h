#pragma once
/// What the kernel knows of a TCP connection's sending, for ConnectionAborter's watchdog (never
/// asked on a sender's path). Its own file: <linux/tcp.h>, which has tcpi_bytes_acked, cannot
/// be included next to glibc's <netinet/tcp.h> (which Poco's headers bring).

#include <cstdint>
#include <optional>

namespace dms::http {

/// The bytes the peer has acknowledged on the connection, ever (its TCP stack took them).
/// nullopt where the kernel does not say.
std::optional<std::uint64_t> tcpBytesAcked(int fd) noexcept;

/// The bytes written to the connection that the peer has not acknowledged yet (still in the
/// kernel's send queue). 0 when unknown.
std::uint64_t tcpBytesUnacknowledged(int fd) noexcept;

}  // namespace dms::http
