#pragma once
/// The document target: where a plugin files documents (a folder tree with files and their
/// metadata). A connector module implements it; the host hands one to the plugin.
///
/// Paths are relative, '/'-separated UTF-8 ("Oppdrag 117/Plan og regulering/kart.pdf"), never
/// start with '/', contain no empty, "." or ".." segment, no NUL or control character, and no
/// backslash. Targets normalise names to Unicode NFC and refuse anything else with
/// InvalidArgument naming the path. "" is the root folder.
///
/// Threading: every method may be called concurrently from several threads, as long as no
/// two calls modify the same path at the same time (the plugin serialises work per order).
/// No method throws; failures come back as an Error.

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dms/Capabilities.h"
#include "dms/Error.h"

namespace dms {

/// Metadata of one file: UTF-8 keys and values. Keys are short identifiers such as
/// "ambita.assetId" ([A-Za-z0-9._-]+); values any UTF-8 text.
using Metadata = std::map<std::string, std::string>;

class PutBatch;

/// Metadata known only once a put's content was read (e.g. its size and SHA-256, of a
/// download streamed straight into the target). A streaming put calls it once, after reading
/// the content to its end without failure and before anything appears under the path; an
/// error it returns fails the put with that error, leaving nothing behind.
using MetadataAfterContent = std::function<Result<Metadata>()>;

enum class EntryType { File, Folder };

/// What stat() and list() report about one entry.
struct EntryInfo {
  std::string path;  ///< full relative path, as it would be passed back to the target
  std::string name;  ///< last segment of path
  EntryType type = EntryType::File;
  std::uint64_t size = 0;                 ///< bytes, for files
  std::int64_t modifiedEpochSeconds = 0;  ///< 0 when Capabilities::modificationTime is false
};

/// The deepest a filing tree goes: folders at most this many segments below the root. Walks
/// of a tree (recover(), a host's search for stray files) go no deeper, so a broken or hostile
/// listing that shows an endless tree cannot lead them on for ever; a plugin files no deeper.
inline constexpr int kMaxFolderDepth = 64;

enum class PutMode {
  CreateNew,  ///< fail with AlreadyExists if a file is already at the path
  Replace,    ///< replace an existing file atomically (the old one stays until the new is complete)
};

class DocumentTarget {
 public:
  virtual ~DocumentTarget() = default;

  /// What this target offers beyond the mandatory core.
  virtual Capabilities capabilities() const = 0;

  /// A short human description for logs, e.g. "filesystem:/srv/archive". Never contains a secret.
  virtual std::string describe() const = 0;

  /// Creates the folder and every missing parent. Succeeds if it already exists.
  /// Errors: InvalidArgument (hostile path), Conflict (a file is in the way),
  /// PermissionDenied, InsufficientStorage, Unavailable.
  virtual Status ensureFolder(const std::string& path) = 0;

  /// Writes a file from `content` (read to its end) with `metadata`, atomically: nobody ever
  /// sees a partial file under `path`, and after a failure or a crash at any point there is
  /// either no file at `path` (CreateNew) or the previous file unchanged (Replace).
  /// The parent folder must exist (else Conflict). If reading `content` fails (badbit set, or
  /// an exception thrown by the stream), put returns DataLoss and leaves nothing behind.
  /// Errors: AlreadyExists (CreateNew and the path is taken), InvalidArgument, Conflict,
  /// PermissionDenied, InsufficientStorage, Unavailable, DataLoss.
  /// Returns the stored entry (size as written).
  virtual Result<EntryInfo> put(const std::string& path, std::istream& content,
                                const Metadata& metadata, PutMode mode) = 0;

  /// Opens a file for reading (for verification). Errors: NotFound, InvalidArgument, Unavailable.
  virtual Result<std::unique_ptr<std::istream>> get(const std::string& path) = 0;

  /// Metadata stored with a file. Errors: NotFound, InvalidArgument, Unavailable.
  virtual Result<Metadata> readMetadata(const std::string& path) = 0;

  /// Replaces the whole metadata set of an existing file (keys not given are removed).
  /// Errors: NotFound, InvalidArgument, PermissionDenied, Unavailable.
  virtual Status writeMetadata(const std::string& path, const Metadata& metadata) = 0;

  /// Errors: NotFound, InvalidArgument, Unavailable.
  virtual Result<EntryInfo> stat(const std::string& path) = 0;

  /// Direct children of a folder, sorted by name; the target's own bookkeeping (temporary
  /// files of puts in progress, metadata sidecars) is never listed.
  /// Errors: NotFound, Conflict (path is a file), InvalidArgument, Unavailable.
  virtual Result<std::vector<EntryInfo>> list(const std::string& folder) = 0;

  /// Removes a file and its metadata. With `pruneEmptyParents`, then removes parent folders
  /// that became empty, up to (not including) the root. Removing a missing file is NotFound;
  /// callers that want idempotence treat NotFound as done.
  /// Errors: NotFound, InvalidArgument, PermissionDenied, Unavailable.
  virtual Status remove(const std::string& path, bool pruneEmptyParents) = 0;

  /// Moves a file with its metadata to `to` (whose parent must exist), failing with
  /// AlreadyExists rather than overwriting. Optional: NotSupported unless Capabilities::move.
  virtual Status move(const std::string& from, const std::string& to) = 0;

  /// Cleans up what interrupted puts left behind (temporary files). It cannot tell a stale
  /// temporary from one of a put in flight, so call it only while no put runs against the same
  /// storage, in this or another process; the Ambita plugin does so under its exclusive
  /// data-folder lock (run, sync, verify --repair) or, with a state shared by several processes
  /// (PostgreSQL), only while no other process files. Hosts do not call it.
  /// Errors: Incomplete (interface 1.1) when the walk was done and everything else removed,
  /// but leftovers it found could not be removed or checked (a file the storage refuses to
  /// delete, a subfolder it cannot open): the message names each one, where, and why. The
  /// plugin logs it as an error, files on, and calls recover() again in its next run (only a
  /// success lets later runs skip recover(), see plugin/README.md, the clean mark). Any other
  /// kind means the walk itself failed (storage unreachable, root unreadable): the run fails.
  virtual Status recover() = 0;

  // --- Added in interface 1.1. Methods are only ever appended here, each with a default (see
  // InterfaceVersion in ModuleInfo.h); the loader shields targets of older connectors.

  /// Ends promptly whatever waits inside calls in flight (retry pauses, however long a
  /// server's Retry-After; requests and connection waits where the target can abort them), and
  /// makes calls fail with Cancelled until resume(). The Ambita plugin calls it from stop()
  /// before joining its workers, so that stop() returns within seconds whatever a server does.
  /// Thread-safe, callable while other methods run. Default: nothing to cancel (a local target
  /// whose calls end by themselves).
  virtual void cancel() noexcept {}

  /// Undoes cancel(): later calls work again. Thread-safe. Default: nothing.
  virtual void resume() noexcept {}

  /// A batch of puts made durable together (dms/PutBatch.h): staging writes each file, commit
  /// places them all and pays for durability once (e.g. one data sync and one sync per touched
  /// folder instead of several syncs per file). The batch must not outlive the target.
  /// Default: a DirectPutBatch, whose puts are plain put() calls (durable one by one).
  virtual std::unique_ptr<PutBatch> beginPutBatch();

  /// put() with metadata made after the content was read (MetadataAfterContent): the content
  /// goes straight into the target's temporary (no copy of the bytes elsewhere first), then
  /// `metadata()` is called and what it returns is stored with the file. Same checks, errors
  /// and atomicity as put(); content failing midway (badbit, an exception) is DataLoss and
  /// leaves nothing. Default: NotSupported, returned before `content` is read, so the caller
  /// can still put the same content another way (the Ambita plugin then spools it to a file).
  virtual Result<EntryInfo> putStreaming(const std::string& path, std::istream& content,
                                         const MetadataAfterContent& metadata, PutMode mode) {
    (void)content;
    (void)metadata;
    (void)mode;
    return fail(ErrorCode::NotSupported, "'" + path + "': this target has no streaming put");
  }
};

}  // namespace dms

// The default of beginPutBatch() needs the complete PutBatch.
#include "dms/PutBatch.h"
