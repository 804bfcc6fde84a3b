#pragma once
/// Whether a URL's host is this machine's loopback interface: the one place where plain
/// http:// with credentials is allowed without an explicit opt-in (tests, the sandbox).

#include <string_view>

namespace dms::http {

/// True for "localhost", any IPv4 address in 127.0.0.0/8 and the IPv6 "::1" (with or without
/// brackets). Host names are compared case-insensitively; no name is resolved.
bool isLoopbackHost(std::string_view host);

}  // namespace dms::http
