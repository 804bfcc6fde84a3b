#pragma once
/// ArchiveView of the filesystem connector's root: walks the folder tree (symlinks are not
/// followed and count as leftovers), hashes every user file and reads its metadata from the
/// `user.dms.<key>` extended attributes or, when present, its `.dms-meta-<name>.json` sidecar.

#include <filesystem>

#include "ArchiveView.h"

namespace dms::e2e {

class FilesystemArchive : public ArchiveView {
 public:
  explicit FilesystemArchive(std::filesystem::path root) : root_(std::move(root)) {}

  // ArchiveView
  std::vector<FiledFile> files() const override;
  std::vector<std::string> leftovers() const override;
  std::vector<std::string> folders() const override;
  std::string describe() const override { return "folder " + root_.string(); }

 private:
  std::filesystem::path root_;
};

}  // namespace dms::e2e
