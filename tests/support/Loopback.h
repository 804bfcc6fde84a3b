#pragma once
/// Small helpers for tests that start servers on the loopback interface.

#include <cstddef>
#include <filesystem>
#include <string>

namespace dms::test {

/// A port the kernel just handed out on 127.0.0.1 (closed again; the server binds it next, so
/// a caller retries with another port if the bind fails). Throws std::runtime_error.
int freeLoopbackPort();

/// True if something accepts TCP connections on 127.0.0.1:`port`.
bool acceptsOnLoopback(int port);

/// The last `maxBytes` of `file` ("" if it cannot be read), for failure messages.
std::string fileTail(const std::filesystem::path& file, std::size_t maxBytes);

}  // namespace dms::test
