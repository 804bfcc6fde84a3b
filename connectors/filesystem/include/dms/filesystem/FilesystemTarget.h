#pragma once
/// The filesystem connector's document target: files in a folder tree under a root folder.
/// It is also the reference connector: short enough to copy from.
///
///   dms::filesystem::FilesystemOptions options{.root = "/srv/archive"};
///   auto target = dms::filesystem::FilesystemTarget::open(options, &logger);  //
///   Result<unique_ptr> if (!target) ... target.error().describe();
///   (*target)->recover();  // remove what interrupted puts left behind
///
/// What it supports
/// - Confinement: every path is checked by dms_connector_common's PathRules (no "..", no
///   absolute path, NUL, control characters, backslash, empty segments; NFC) and then resolved
///   by the kernel with openat2(RESOLVE_BENEATH) relative to a descriptor of the root opened
///   once: a symlink whose target leaves the root (absolute, or "..") is refused with
///   InvalidArgument naming the path; symlinks that stay inside the root are followed. The last
///   step of every modification (mkdirat, openat O_CREAT|O_EXCL|O_NOFOLLOW, renameat2,
///   unlinkat) happens relative to the already-resolved parent descriptor, never a path string.
/// - Atomic put: a temporary ".dms-tmp-<random>-<name>" in the same folder, written with a
///   fixed 64 KiB buffer, metadata set on it (xattr mode), fsync'd, then renamed to the final
///   name (CreateNew: renameat2 RENAME_NOREPLACE, falling back to link+unlink where the
///   filesystem lacks it), then the folder is fsync'd. A failed or killed put leaves at most the
///   temporary, which list() hides and recover() deletes.
/// - Metadata: xattrs "user.dms.<key>" (nativeMetadata), or a JSON sidecar
///   ".dms-meta-<name>.json" next to the file ({"version":1,"metadata":{...}}), written via a
///   temporary + rename. "auto" probes user xattrs on the root once at open().
/// - Folders: ensureFolder() does not fsync each new folder's parent at once; they are synced
///   by the next put or move (before its rename), covered by a batch commit's syncfs(), or
///   synced when the target is destroyed. So a file never becomes durable in a folder that a
///   power cut could take away, and a batch pays nothing extra for its new folders.
/// - move (renameat2 no-replace, sidecar follows), recover (temporaries and orphan sidecars in
///   the whole tree; what it cannot remove or check — a folder it cannot open, an unlink
///   refused — it names in an Incomplete error, after removing the rest), modification times.
///
/// What it deliberately leaves out
/// - Sidecar mode writes the sidecar, then renames the file: a crash between the two renames of
///   a Replace leaves the new metadata beside the old content (a crash in a CreateNew leaves an
///   orphan sidecar that recover() deletes). xattr mode has no such window.
/// - writeMetadata in xattr mode sets and removes attributes one by one (not atomic as a set).
/// - Sidecar mode needs 15 bytes of the filesystem's 255-byte name limit for
///   ".dms-meta-<name>.json": longer names with metadata fail with InvalidArgument
///   (ENAMETOOLONG). ext4 limits xattr values to about one block per file in xattr mode.
/// - No locking between processes; callers serialise work per path (DocumentTarget.h).
/// - File modes come from the umask; a Replace does not copy the old file's owner or mode.
/// - list() hides entries it could not hand back: bookkeeping names, names that are not valid
///   NFC paths (created by someone else), symlinks leading outside the root or dangling, and
///   anything that is neither a regular file nor a folder.
///
/// Thread-safe: the target holds the root descriptor, settings and the set of folders awaiting
/// a sync (under a mutex); every call opens its own descriptors.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dms/DocumentTarget.h"
#include "dms/Logger.h"

namespace dms::common {
class UniqueFd;
}

namespace dms::filesystem {

using common::UniqueFd;
class SharedSync;
class FilesystemPutBatch;

/// The steps of a batch commit that make staged files durable, reported as each completes.
class DurabilityObserver {
 public:
  virtual ~DurabilityObserver() = default;
  /// The content and metadata of every temporary staged so far is on disk.
  virtual void dataSynced() = 0;
  /// A staged file was renamed to `path` (not durable until its folder is synced); move()
  /// reports its file's rename the same way.
  virtual void placed(const std::string& path) = 0;
  /// Every rename so far in `folder` ("" = root) is on disk.
  virtual void folderSynced(const std::string& folder) = 0;
  /// The folders ensureFolder() made in `parents` ("" = root) are on disk: synced by a put or
  /// move before its rename, or covered by a batch's data sync (reported just before it).
  virtual void newFoldersSynced(const std::set<std::string>& parents) { (void)parents; }
};

enum class MetadataMode {
  Auto,                ///< xattrs if the root's filesystem takes "user." attributes, else sidecar
  ExtendedAttributes,  ///< "xattr" in the configuration
  Sidecar,             ///< "sidecar"
};

struct FilesystemOptions {
  std::string root;  ///< created (with parents) if missing
  MetadataMode metadata = MetadataMode::Auto;
  bool fsync = true;  ///< fsync files and folders (off only for tests and benchmarks)
};

class FilesystemTarget final : public DocumentTarget {
 public:
  /// Creates the root if needed, opens it and settles the metadata mode.
  /// Errors: InvalidArgument (empty root), NotSupported (xattr mode on a filesystem without
  /// user xattrs), PermissionDenied / Unavailable (root cannot be created or opened).
  /// `logger` may be null; otherwise it must outlive the target.
  static Result<std::unique_ptr<FilesystemTarget>> open(const FilesystemOptions& options,
                                                        Logger* logger);

  ~FilesystemTarget() override;
  FilesystemTarget(const FilesystemTarget&) = delete;
  FilesystemTarget& operator=(const FilesystemTarget&) = delete;

  /// The mode in use (never Auto).
  MetadataMode metadataMode() const { return mode_; }
  /// The root folder as configured (absolute).
  const std::string& root() const { return root_; }

  // dms::DocumentTarget
  Capabilities capabilities() const override;
  std::string describe() const override;
  Status ensureFolder(const std::string& path) override;
  Result<EntryInfo> put(const std::string& path, std::istream& content, const Metadata& metadata,
                        PutMode mode) override;
  Result<std::unique_ptr<std::istream>> get(const std::string& path) override;
  Result<Metadata> readMetadata(const std::string& path) override;
  Status writeMetadata(const std::string& path, const Metadata& metadata) override;
  Result<EntryInfo> stat(const std::string& path) override;
  Result<std::vector<EntryInfo>> list(const std::string& folder) override;
  Status remove(const std::string& path, bool pruneEmptyParents) override;
  Status move(const std::string& from, const std::string& to) override;
  Status recover() override;
  /// Ends the waits of batches for another batch's syncfs (they fail with Cancelled, naming the
  /// root) until resume(). A file's own writes and syncs end by themselves and go on.
  void cancel() noexcept override;
  void resume() noexcept override;
  /// Batched durability: puts staged as temporaries (written, not synced), and on commit one
  /// syncfs() of the root's filesystem for all their data, the renames, one sync of the touched
  /// folders; batches committing at once share their syncfs() (see FilesystemPutBatch.h).
  std::unique_ptr<PutBatch> beginPutBatch() override;
  /// The content straight into the temporary beside the path; the metadata (xattrs, or the
  /// sidecar) written after it, before the rename.
  Result<EntryInfo> putStreaming(const std::string& path, std::istream& content,
                                 const MetadataAfterContent& metadata, PutMode mode) override;

  /// Told each step of a batch commit once it is done (tests replay what a power cut at that
  /// point keeps; null to stop). Set before any batch commits; `observer` outlives its use.
  void setDurabilityObserver(DurabilityObserver* observer) { observer_ = observer; }
  /// Runs `syncfs` (given the descriptor, returning 0 or an errno) instead of syncfs(2) for the
  /// batches' shared syncs (tests inject writeback errors). Set before any batch commits.
  void replaceSyncfsForTest(std::function<int(int fd)> syncfs) { syncfs_ = std::move(syncfs); }

 private:
  friend class FilesystemPutBatch;

  /// A put's first half: content and metadata (xattr mode) in a temporary beside the path,
  /// not yet synced nor placed.
  struct StagedFile;  // FilesystemPutBatch.h
  /// Writes the temporary (removed again when this fails): the content, then the metadata
  /// `metadata()` returns (kept in StagedFile::metadata for the sidecar). A put of `batch`
  /// uses the batch's descriptor of the folder when it has one.
  Result<StagedFile> stage(const std::string& path, std::istream& content,
                           const MetadataAfterContent& metadata, PutMode mode,
                           FilesystemPutBatch* batch = nullptr) const;
  /// put() and putStreaming(): stage, sync, place.
  Result<EntryInfo> putStaged(const std::string& path, std::istream& content,
                              const MetadataAfterContent& metadata, PutMode mode);
  /// A put's second half: the sidecar (sidecar mode), then the rename into place in `folder`.
  Status place(int folder, const StagedFile& staged, const Metadata& metadata) const;

  FilesystemTarget(int rootFd, std::string root, MetadataMode mode, bool fsync, Logger* logger);

  /// openat2(rootFd_, path, flags, RESOLVE_BENEATH); "" is the root. Errors say
  /// "<action> '<about>': ..." (`about` is the caller's path; empty = `path`).
  Result<UniqueFd> openBeneath(const std::string& path, int flags, const char* action,
                               const std::string& about = {}) const;
  /// The parent folder of `path` for modifying it; a missing parent is Conflict.
  Result<UniqueFd> openParent(const std::string& path) const;
  /// A regular file beneath the root, opened for reading; anything else at `path` is Conflict.
  Result<UniqueFd> openFile(const std::string& path) const;
  Status writeSidecar(int folderFd, const std::string& name, const Metadata& metadata,
                      const std::string& path) const;
  Result<Metadata> readSidecar(int folderFd, const std::string& name,
                               const std::string& path) const;
  /// The sidecar of `name` as stored (nullopt: it has none), and storing such text durably
  /// (temporary, fsync, rename, folder sync): move() carries a sidecar over unparsed.
  Result<std::optional<std::string>> readSidecarText(int folderFd, const std::string& name,
                                                     const std::string& path) const;
  Status storeSidecarText(int folderFd, const std::string& name, const std::string& json,
                          const std::string& path) const;
  Status syncFolder(int folderFd, const std::string& path) const;
  /// What recover() removed, and what it found and could not remove ("'path' (reason)").
  struct RecoverTally {
    int temporaries = 0;
    int sidecars = 0;
    std::vector<std::string> left;
    int rootErrno = 0;  ///< the root folder could not be listed: the walk failed
    void noteLeft(const std::string& path, int error);  ///< `error`: an errno value
  };
  void recoverFolder(int folderFd, const std::string& path, int depth, RecoverTally& tally) const;
  void log(LogLevel level, const std::string& message) const;

  int rootFd_;
  std::string root_;
  MetadataMode mode_;
  bool fsync_;
  Logger* logger_;
  DurabilityObserver* observer_ = nullptr;

  // --- Issue 15 row 1: new folders made durable with the files put into them ---
  /// fsyncs every folder that received a new subfolder since the last sync (put and move call
  /// it before their rename: a file never becomes durable in a folder that may vanish).
  Status syncNewFolders();
  /// The folders awaiting that sync, and the oldest sync mark taken before a subfolder was
  /// made in one of them (UINT64_MAX: none). A batch commit's syncfs() covers them, judged
  /// from that mark when it is older than the batch's own (branch stopall: a folder made
  /// before the batch began is one of its writes too), then forgets them.
  struct UnsyncedFolders {
    std::set<std::string> parents;
    std::uint64_t madeAfter = UINT64_MAX;
  };
  UnsyncedFolders unsyncedFoldersNow() const;
  void forgetSyncedFolders(const std::set<std::string>& synced);
  /// A batch covering `told` failed: its caller was told of the errors since their marks, so
  /// they are judged from now on (still unsynced) instead of failing every later batch.
  void remarkUnsyncedFolders(const std::set<std::string>& told);
  /// mkdirat(parentFd, name) for ensureFolder(); a folder made is recorded in `parent` as
  /// unsynced, with the sync mark taken before it (kept when `parent` has an older one).
  /// False with errno set when mkdirat failed.
  bool makeFolder(int parentFd, const std::string& name, const std::string& parent);

  mutable std::mutex newFoldersMutex_;
  /// Paths ("" = root) of folders whose new subfolders ensureFolder() did not sync, each with
  /// the sync mark (syncMark()) taken before the first of them was made.
  std::map<std::string, std::uint64_t> unsyncedFolders_;

  // --- Issue 15 row 1 (morning): batches committing at once share their syncs ---
  /// syncfs() of the root's filesystem, shared by the batches that commit at the same time
  /// (SharedSync.h); `writesAfter`: syncMark() taken before the batch's writes. Errors:
  /// SharedSync::syncAfterNow()'s.
  Status syncFilesystem(std::uint64_t writesAfter);
  /// SharedSync::markBeforeWrites().
  std::uint64_t syncMark();

  /// syncfs(2), returning 0 or an errno (replaceSyncfsForTest()).
  std::function<int(int fd)> syncfs_;
  std::unique_ptr<SharedSync> sharedSync_;
  /// The root opened once for each sync that may run at once (SharedSync::kMostInFlight), so
  /// each is told of every writeback error (a descriptor is told once); -1: use rootFd_.
  std::vector<int> syncFds_;

  // --- Issue 15 filecpu2: fewer system calls a new folder ---
  /// ensureFolder() of a missing `path`: mkdirat only its missing segments, from the deepest
  /// folder that exists; nullopt when something unexpected is in the way (the caller then
  /// takes createFromRoot, which names it).
  std::optional<Status> createBelowDeepestExisting(const std::string& path);
  /// ensureFolder()'s careful walk: every segment made or found, each re-resolved from the root.
  Status createFromRoot(const std::string& path);
  /// Conflict when `folderFd` (the descriptor of `folder` a put or a batch holds) no longer is the
  /// folder at that path: moved, removed or replaced since it was opened.
  Status checkFolderStillAt(int folderFd, const std::string& folder) const;
};

}  // namespace dms::filesystem
