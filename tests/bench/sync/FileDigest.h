#pragma once
/// SHA-256 of files and of whole folder trees, to check that every tool in the sync benchmark
/// delivered exactly the bytes the sandbox serves (a fast run that files wrong bytes is a broken
/// run, not a fast one).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace dms::bench {

class FileDigest {
 public:
  /// Lowercase hex SHA-256 of a file's content (64 KiB buffer). Throws std::runtime_error when
  /// the file cannot be read.
  static std::string sha256(const std::filesystem::path& file);

  /// Every regular file under `root` (recursively), skipping names that start with `skipPrefix`
  /// (e.g. ".dms-", the connectors' temporaries and sidecars) when it is not empty, and Apache
  /// mod_dav_fs's ".DAV" property folders: a count of each SHA-256. Symlinks are not followed.
  static std::map<std::string, int> tree(const std::filesystem::path& root,
                                         const std::string& skipPrefix);

  /// A readable difference between two such counts ("" when equal): how many files are missing
  /// and how many are unexpected, with a few digests of each.
  static std::string compare(const std::map<std::string, int>& expected,
                             const std::map<std::string, int>& actual);
};

}  // namespace dms::bench
