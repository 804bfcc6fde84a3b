#pragma once
/// What a test sees in a document target from the outside, without going through the connector
/// under test: every user file with its bytes' size and SHA-256 and its metadata, plus any
/// leftovers a put or a crash might have left (temporaries). Implemented for the filesystem
/// connector (reads the folder tree, xattrs or sidecars) and for WebDAV (reads Apache's
/// document root on disk and asks the server for the properties with PROPFIND).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dms::e2e {

/// One user file in the archive.
struct FiledFile {
  std::string path;  ///< relative to the target's root, '/'-separated
  std::uint64_t size = 0;
  std::string sha256;  ///< of the bytes on disk, lowercase hex
  std::map<std::string, std::string> metadata;
};

class ArchiveView {
 public:
  virtual ~ArchiveView() = default;

  /// Every user file (bookkeeping files such as sidecars are not user files). Throws
  /// std::runtime_error when the archive cannot be read.
  virtual std::vector<FiledFile> files() const = 0;

  /// Paths of leftovers: temporaries of interrupted puts (".dms-tmp-*") and anything else
  /// that is neither a user file, a folder nor a sidecar of an existing file.
  virtual std::vector<std::string> leftovers() const = 0;

  /// Every folder below the root (relative paths, sorted), the server's own bookkeeping folders
  /// (Apache's `.DAV`) left out: what a user browsing the archive sees, empty folders included.
  virtual std::vector<std::string> folders() const = 0;

  /// A short description for failure messages.
  virtual std::string describe() const = 0;
};

}  // namespace dms::e2e
