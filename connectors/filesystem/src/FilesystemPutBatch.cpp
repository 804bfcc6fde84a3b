#include "FilesystemPutBatch.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "dms/common/ErrnoMapping.h"
#include "dms/common/PathRules.h"

namespace dms::filesystem {

using common::errnoError;

namespace {

/// "<action> '<path>': <why>", of the kind of `why` (a shared sync's error names the root).
Error failedFor(const Error& why, const std::string& action, const std::string& path) {
  return fail(why.code, action + " " + common::quotePath(path) + ": " + why.message);
}

}  // namespace

FilesystemPutBatch::~FilesystemPutBatch() {
  for (const auto& pending : pending_) discard(pending);
}

void FilesystemPutBatch::discard(const Pending& pending) const {
  const auto folder = folders_.find(pending.folder);
  if (folder != folders_.end()) ::unlinkat(folder->second->get(), pending.tempName.c_str(), 0);
}

Result<EntryInfo> FilesystemPutBatch::put(const std::string& path, std::istream& content,
                                          const Metadata& metadata, PutMode mode) {
  return stagePending(
      path, content, [&]() -> Result<Metadata> { return metadata; }, mode);
}

Result<EntryInfo> FilesystemPutBatch::putStreaming(const std::string& path, std::istream& content,
                                                   const MetadataAfterContent& metadata,
                                                   PutMode mode) {
  return stagePending(path, content, metadata, mode);
}

Result<EntryInfo> FilesystemPutBatch::stagePending(const std::string& path, std::istream& content,
                                                   const MetadataAfterContent& metadata,
                                                   PutMode mode) {
  auto staged = target_.stage(path, content, metadata, mode, this);
  if (!staged) return staged.error();
  const auto& info = staged->info;
  if (::close(staged->file.release()) != 0) {
    const int error = errno;
    ::unlinkat(staged->folder->get(), staged->tempName.c_str(), 0);
    return errnoError(error, "cannot close", info.path);
  }
  Pending pending{common::parentPath(info.path),
                  staged->name,
                  staged->tempName,
                  mode,
                  info.path,
                  target_.mode_ == MetadataMode::Sidecar ? staged->metadata : Metadata{}};
  std::lock_guard lock(mutex_);
  // One descriptor per folder: the first put's (two puts racing into a new folder may each
  // have opened one; the later closes its own).
  folders_.try_emplace(pending.folder, std::move(staged->folder));
  pending_.push_back(std::move(pending));
  return info;
}

std::shared_ptr<const UniqueFd> FilesystemPutBatch::folderOf(const std::string& parent) {
  std::lock_guard lock(mutex_);
  const auto folder = folders_.find(parent);
  return folder == folders_.end() ? nullptr : folder->second;
}

std::map<std::string, Status> FilesystemPutBatch::commit() {
  std::lock_guard lock(mutex_);
  std::map<std::string, Status> outcome;
  if (pending_.empty()) return outcome;
  if (target_.fsync_) {
    // 1. One sync for the data and xattrs of every temporary (instead of an fsync each), and
    // for the folders ensureFolder() made for them: judged from the older of this batch's mark
    // and theirs (made before the batch, they are its writes too).
    const auto newFolders = target_.unsyncedFoldersNow();
    const auto writesAfter = std::min(writesAfter_, newFolders.madeAfter);
    if (auto synced = target_.syncFilesystem(writesAfter); !synced) {
      target_.remarkUnsyncedFolders(newFolders.parents);  // told here, not to every later batch
      for (const auto& pending : pending_) {
        outcome[pending.path] = failedFor(synced.error(), "cannot sync the data of", pending.path);
        discard(pending);
      }
      pending_.clear();
      folders_.clear();
      return outcome;
    }
    target_.forgetSyncedFolders(newFolders.parents);
    if (!newFolders.parents.empty() && target_.observer_ != nullptr)
      target_.observer_->newFoldersSynced(newFolders.parents);
    if (target_.observer_ != nullptr) target_.observer_->dataSynced();
  }
  // 2. The renames.
  const auto touched = placeAll(outcome);
  // 3. The folders that received a file are synced: their renames are durable.
  syncTouchedFolders(touched, outcome);
  pending_.clear();
  folders_.clear();
  return outcome;
}

void FilesystemPutBatch::syncTouchedFolders(const Touched& touched,
                                            std::map<std::string, Status>& outcome) {
  if (!target_.fsync_ || touched.empty()) return;
  const auto reportSynced = [&](const std::string& folder) {
    if (target_.observer_ != nullptr) target_.observer_->folderSynced(folder);
  };
  if (touched.size() == 1) {
    // One folder: its own fsync writes less than a sync of the whole filesystem.
    const auto& [folder, paths] = *touched.begin();
    auto synced = target_.syncFolder(folders_.at(folder)->get(), paths.front());
    if (!synced) {
      for (const auto& path : paths) outcome[path] = synced.error();
      return;
    }
    reportSynced(folder);
    return;
  }
  // Several folders: one sync of the filesystem, shared with the batches committing beside
  // this one, instead of a sync (and a disk cache flush) per folder.
  if (auto synced = target_.syncFilesystem(writesAfter_); !synced) {
    for (const auto& [folder, paths] : touched)
      for (const auto& path : paths)
        outcome[path] = failedFor(synced.error(), "cannot sync the folder of", path);
    return;
  }
  for (const auto& [folder, paths] : touched) reportSynced(folder);
}

FilesystemPutBatch::Touched FilesystemPutBatch::placeAll(std::map<std::string, Status>& outcome) {
  Touched touched;
  // Each folder's descriptor still is the folder at its path (checked once a folder): one moved
  // or replaced since its first put would receive files under a path the caller never gave.
  std::map<std::string, Status> folderStillThere;
  for (const auto& [folder, descriptor] : folders_)
    folderStillThere.emplace(folder, target_.checkFolderStillAt(descriptor->get(), folder));
  for (const auto& pending : pending_) {
    if (const auto& there = folderStillThere.at(pending.folder); !there) {
      discard(pending);
      outcome[pending.path] = there;
      continue;
    }
    FilesystemTarget::StagedFile staged;
    staged.name = pending.name;
    staged.tempName = pending.tempName;
    staged.mode = pending.mode;
    staged.info.path = pending.path;
    auto placed = target_.place(folders_.at(pending.folder)->get(), staged, pending.metadata);
    if (!placed) {
      discard(pending);
      outcome[pending.path] = placed;
      continue;
    }
    outcome[pending.path] = Status{};
    touched[pending.folder].push_back(pending.path);
    if (target_.observer_ != nullptr) target_.observer_->placed(pending.path);
  }
  return touched;
}

}  // namespace dms::filesystem
