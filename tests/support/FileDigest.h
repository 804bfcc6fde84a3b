#pragma once
/// SHA-256 of files and of whole folder trees, for tests and benchmarks that check a target
/// holds exactly the bytes the sandbox serves (a run that files wrong bytes is broken, however
/// fast). Files are read in fixed 64 KiB pieces, so large files cost no memory.

#include <filesystem>
#include <map>
#include <string>

namespace dms::test {

class FileDigest {
 public:
  /// Lowercase hex SHA-256 of a file's content. Throws std::runtime_error when the file cannot
  /// be read.
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

}  // namespace dms::test
