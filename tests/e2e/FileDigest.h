#pragma once
/// SHA-256 of a file's bytes, read in fixed 64 KiB pieces (files may be large).

#include <filesystem>
#include <string>

namespace dms::e2e {

/// Lowercase hex SHA-256 of the file at `path`; throws std::runtime_error if it cannot be read.
std::string sha256OfFile(const std::filesystem::path& path);

}  // namespace dms::e2e
