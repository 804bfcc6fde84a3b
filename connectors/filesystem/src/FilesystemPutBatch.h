#pragma once
/// The filesystem target's batch of puts (dms/PutBatch.h): durability paid once per batch.
///
/// put() writes a temporary beside the final name (content, then the metadata as xattrs) and
/// neither syncs nor renames it. commit() then, in this order:
///   1. syncfs() of the root's filesystem: the data and xattrs of every temporary are on disk;
///   2. renames every temporary into place (sidecar mode: its sidecar first, synced, as put does);
///   3. the folders that received a file are synced: the renames are on disk. One folder: its
///      fsync; several: one syncfs() (one disk flush instead of one a folder).
/// The syncfs() calls go through the target's SharedSync: batches committing at the same time
/// (several orders at once) share them, and each is answered by one that started after its
/// writes.
/// A power cut before 3 may lose renames, never data under a final name: what a crash leaves
/// is a temporary (recover() deletes it) or the complete file. Callers record a file as
/// stored only after commit() reported it placed (the Ambita plugin: one batch per order).
/// With the target's fsync off, steps 1 and 3 are skipped.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dms/PutBatch.h"
#include "dms/common/UniqueFd.h"
#include "dms/filesystem/FilesystemTarget.h"

namespace dms::filesystem {

struct FilesystemTarget::StagedFile {
  std::string name;      ///< last segment of the path
  std::string tempName;  ///< the temporary in `folder`
  PutMode mode = PutMode::CreateNew;
  /// The parent folder: shared with the batch's puts into the same folder (one descriptor a
  /// folder, kept alive by each put using it even if the batch commits meanwhile).
  std::shared_ptr<const UniqueFd> folder;
  UniqueFd file;      ///< the temporary, open for writing
  EntryInfo info;     ///< what put returns (info.path: the normalised path)
  Metadata metadata;  ///< as stored (the sidecar is written from it on place)
};

class FilesystemPutBatch final : public PutBatch {
 public:
  /// `target` must outlive the batch.
  explicit FilesystemPutBatch(FilesystemTarget& target)
      : target_(target), writesAfter_(target.syncMark()) {}
  /// Removes the temporaries of puts staged and not committed.
  ~FilesystemPutBatch() override;
  FilesystemPutBatch(const FilesystemPutBatch&) = delete;
  FilesystemPutBatch& operator=(const FilesystemPutBatch&) = delete;

  Result<EntryInfo> put(const std::string& path, std::istream& content, const Metadata& metadata,
                        PutMode mode) override;
  Result<EntryInfo> putStreaming(const std::string& path, std::istream& content,
                                 const MetadataAfterContent& metadata, PutMode mode) override;
  std::map<std::string, Status> commit() override;

 private:
  /// A staged put waiting for commit().
  struct Pending {
    std::string folder;  ///< parent path, key of folders_
    std::string name;
    std::string tempName;
    PutMode mode = PutMode::CreateNew;
    std::string path;
    Metadata metadata;  ///< kept for the sidecar (sidecar mode only)
  };

  /// put() and putStreaming(): stage the temporary, keep it pending.
  Result<EntryInfo> stagePending(const std::string& path, std::istream& content,
                                 const MetadataAfterContent& metadata, PutMode mode);
  /// Folders (parent paths) that received files, and the paths placed in each.
  using Touched = std::map<std::string, std::vector<std::string>>;
  /// Places every pending file into `outcome`; returns the folders that received one.
  Touched placeAll(std::map<std::string, Status>& outcome);
  /// Step 3 of commit(): makes the renames in `touched` durable (an error goes to their paths).
  void syncTouchedFolders(const Touched& touched, std::map<std::string, Status>& outcome);
  void discard(const Pending& pending) const;

  FilesystemTarget& target_;
  /// The target's sync mark before this batch's first write (SharedSync::markBeforeWrites()).
  const std::uint64_t writesAfter_;
  std::mutex mutex_;
  std::vector<Pending> pending_;
  /// One descriptor per parent folder of pending_: the first put's, which the later puts into
  /// that folder use too (an openat2 and a close a file fewer).
  std::map<std::string, std::shared_ptr<const UniqueFd>> folders_;

 public:
  // --- Issue 15 filecpu2: one descriptor a folder for the batch's puts (used by stage) ---
  /// The descriptor a put into `parent` (a normalised path) uses: the batch's, or null.
  std::shared_ptr<const UniqueFd> folderOf(const std::string& parent);
};

}  // namespace dms::filesystem
