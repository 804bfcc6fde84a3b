#pragma once
/// dms::DocumentTarget over WebDAV (RFC 4918): Apache mod_dav, Nextcloud, SharePoint, Alfresco.
///
/// Every path maps below the configured base collection, each segment percent-encoded
/// (UTF-8, NFC). How each operation is done:
///   ensureFolder  PROPFIND the full path (skipped when its parent below the base collection is
///                 already known: the MKCOL is the check); else MKCOL level by level (409 = parent
///                 missing; 405, 400 or 403 = maybe created meanwhile by someone else: PROPFIND
///                 Depth 0 again, a collection is success, nothing there keeps the MKCOL's error,
///                 e.g. 403 -> PermissionDenied). Known folders are cached; a 409 (a cached folder
///                 removed by someone else) drops the cache entry and starts over.
///   put           PUT streamed (64 KiB buffer; Content-Length when the stream can seek, else
///                 chunked) to ".dms-tmp-<random>-<name>" in the same collection, size verified
///                 by PROPFIND getcontentlength, metadata PROPPATCHed onto the temporary, then
///                 MOVE to the final name with Overwrite: F (CreateNew; 412 -> AlreadyExists) or
///                 T (Replace). A failure DELETEs the temporary. A MOVE whose answer was lost
///                 (timeout, connection reset) is not repeated blindly: the destination and the
///                 temporary are checked first.
///   metadata      dead properties in the namespace urn:ambita-dms:meta:1, one per key (name
///                 "m_" + key, bytes outside [A-Za-z0-9.-] written _XX). In "auto" mode the
///                 first metadata write decides: properties PROPPATCHed and read back, or, if
///                 the server refuses or drops them, sidecars; the decision is recorded in
///                 ".dms-metadata-mode" at the root and read by every later process. Until a
///                 mode is known, readMetadata also looks for a sidecar. Sidecar
///                 ".dms-meta-<name>.json" (common/SidecarCodec.h) next to the file, never
///                 listed; it is moved into place right BEFORE the file (a crash between leaves
///                 an orphaned sidecar, which readMetadata ignores and recover() deletes).
///   stat / list   PROPFIND Depth 0 / Depth 1; bookkeeping names (".dms-*") are not listed.
///   remove        DELETE (refused for folders: a WebDAV DELETE would be recursive); pruning an
///                 empty parent LOCKs it, checks it is still empty, then DELETEs it under the
///                 lock (plain check-then-DELETE on servers without locking).
///   move          MOVE with Overwrite: F.
///   recover       removes what interrupted puts recorded in the data folder (TempJournal: their
///                 temporaries, and sidecars whose file never arrived), then walks every
///                 collection (PROPFIND Depth 1) and DELETEs temporaries and orphaned sidecars.
///                 A record it cannot finish, or a leftover the server will not delete, stays:
///                 recover() answers Incomplete naming each, after the walk (the plugin files
///                 on, leaves no clean mark, and the next run tries again); the walk failing
///                 (server down, root unreadable) is an error of its own kind.
///
/// Requests go through DavClient: pooled keep-alive sessions (at most `concurrency`), Basic /
/// Digest / Bearer auth, same-origin redirects, retries with backoff. A put holds one session
/// while its content is read; a content stream that itself calls the target (get during a put)
/// needs concurrency >= 2. Streams returned by get() may outlive the target.
///
/// Thread-safe as DocumentTarget.h requires. No method throws.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>

#include "dms/DocumentTarget.h"
#include "dms/Logger.h"
#include "dms/webdav/WebDavOptions.h"

namespace dms::webdav {

class DavClient;
class TempJournal;
struct DavResource;

class WebDavTarget final : public DocumentTarget {
 public:
  /// `options` already validated (WebDavOptions::parse). Errors: InvalidArgument when the TLS
  /// context cannot be built (e.g. unreadable caFile). Makes no request.
  /// `dataDir`: the connector's data folder (ConnectorContext), where puts in flight are
  /// recorded for recover(); empty: not recorded (recover() then finds leftovers by listing
  /// only, which misses them on servers that hide dot names, e.g. nginx).
  static Result<std::unique_ptr<WebDavTarget>> create(const WebDavOptions& options, Logger& logger,
                                                      const std::string& dataDir = "");
  ~WebDavTarget() override;

  // dms::DocumentTarget
  Capabilities capabilities() const override;
  std::string describe() const override;
  Status ensureFolder(const std::string& path) override;
  Result<EntryInfo> put(const std::string& path, std::istream& content, const Metadata& metadata,
                        PutMode mode) override;
  Result<std::unique_ptr<std::istream>> get(const std::string& path) override;
  // No putStreaming (the default, NotSupported): the plugin spools downloads for this target,
  // because a PUT cut off by a server restart is re-sent from a seekable content stream
  // (WebDavCrashFaultsTest), which a download streaming in cannot be.
  Result<Metadata> readMetadata(const std::string& path) override;
  Status writeMetadata(const std::string& path, const Metadata& metadata) override;
  Result<EntryInfo> stat(const std::string& path) override;
  Result<std::vector<EntryInfo>> list(const std::string& folder) override;
  Status remove(const std::string& path, bool pruneEmptyParents) override;
  Status move(const std::string& from, const std::string& to) override;
  Status recover() override;

  /// Ends the client's retry pauses at once (whatever Retry-After a server sent), cuts the
  /// connections requests and get() streams are waiting on (a server that never answers or
  /// trickles), and makes further requests fail with Cancelled before sending, so that a
  /// plugin stopping can join its threads quickly (dms::DocumentTarget::cancel(), interface
  /// 1.1). Thread-safe.
  void cancel() noexcept override;
  /// Undoes cancel(). Thread-safe.
  void resume() noexcept override;

  /// HTTP sessions opened so far (tests prove keep-alive reuse with it).
  std::size_t sessionsCreatedForTest() const;
  /// True once metadata is kept in sidecars (configured, or detected in auto mode).
  bool usesSidecarsForTest() const { return sidecars_.load(); }

 private:
  WebDavTarget(const WebDavOptions& options, Poco::Net::Context::Ptr tls, Logger& logger,
               const std::string& dataDir);
  /// Removes what puts of a crashed process left (TempJournal). Returns each record it could
  /// not finish (the record stays): "'path left on the server' (the server's answer)".
  std::vector<std::string> recoverJournal();
  /// A move() cut between its file's MOVE and its sidecar's: the sidecar follows the file if
  /// the file moved, and goes if the file is at neither place.
  Status recoverSidecarMove(const std::string& from, const std::string& to);

  std::string href(const std::string& path, bool collection) const;
  std::string absoluteUrl(const std::string& path) const;
  /// `explainForbidden`: a 403 is checked with atOrBelowAFile (NotFound if so).
  Result<std::vector<DavResource>> propfind(const std::string& path, bool collection, int depth,
                                            bool allProperties, bool explainForbidden = true);
  Result<DavResource> propfindOne(const std::string& path, bool allProperties);
  /// True if `path`, or a folder on the way to it, is a file (how a 403 to a PROPFIND is
  /// told from a real refusal: lighttpd answers 403 for "file/" and "file/below").
  bool atOrBelowAFile(const std::string& path);
  Status deleteResource(const std::string& path, bool collection);
  /// Deletes `folder` if it has no entries; true if it did.
  Result<bool> pruneIfEmpty(const std::string& folder);
  Status checkParent(const std::string& parent);
  Status moveResource(const std::string& from, const std::string& to, bool overwrite,
                      std::uint64_t expectedSize);
  Status writeProperties(const std::string& path, const Metadata& metadata,
                         const Metadata& previous);
  /// In auto mode, before the mode is settled: switches to sidecars if `refused` says the server
  /// does not keep dead properties. True if it did.
  bool fallBackToSidecars(const Error& refused);
  /// True unless the mode is known to be dead properties: a sidecar may exist.
  bool mayHaveSidecars() const;
  /// Auto mode: adopts the mode an earlier process recorded in the marker at the target's
  /// root (".dms-metadata-mode"), looked up once per target. Errors: the GET's.
  Status loadMetadataMode();
  /// Auto mode: records the mode just decided in the marker, once (every later process then
  /// uses the same mode from its first request on).
  Status recordMetadataMode();
  /// NotSupported unless a PROPFIND of `path` returns exactly `metadata`.
  Status checkPropertiesKept(const std::string& path, const Metadata& metadata);
  /// The body of a small file (sidecar, marker); nullopt when there is none (404).
  Result<std::optional<std::string>> getSmallFile(const std::string& path);
  /// PUT `text` to a temporary beside `path`, then MOVE it there (Overwrite: T or F).
  Status putSmallFile(const std::string& path, const std::string& text, bool overwrite);
  /// DELETEs the temporary of a PUT that failed mid-body, looking again briefly in case the
  /// server was still writing it.
  void cleanupAbortedUpload(const std::string& temp);
  /// put()'s checks of the metadata (keys, values, what the server can store).
  Status checkPutMetadata(const Metadata& metadata, const std::string& path);
  /// put() on a normalised path: PUT the temporary, metadata() on it, MOVE.
  Result<EntryInfo> putThenDescribe(const std::string& path, std::istream& content,
                                    const MetadataAfterContent& metadata, PutMode mode);
  /// put()'s steps. Refuses early what the MOVE would refuse (a folder, or a file for CreateNew).
  Status checkPutDestination(const std::string& path, PutMode mode);
  /// PUTs the content to `temp` and returns what the server stored, checked against what was
  /// sent; on failure the temporary is removed (or left to recover()).
  Result<DavResource> uploadTemporary(const std::string& path, const std::string& temp,
                                      std::istream& content);
  /// Properties on the temporary, or the sidecar beside `path`, before the MOVE.
  Status attachMetadata(const std::string& path, const std::string& temp, const Metadata& metadata);
  /// DELETEs a temporary, logging (not failing) when it cannot.
  void removeTemporary(const std::string& temp);
  Status writeSidecar(const std::string& filePath, const Metadata& metadata);
  /// The sidecar's metadata; empty when there is none (the caller checked the file exists).
  Result<Metadata> readSidecar(const std::string& filePath);
  /// recover()'s walk from `folder`: fails when the server cannot be worked with (or `folder`
  /// is the root and cannot be listed); a leftover it cannot delete, or a collection it cannot
  /// list, goes to `left` ("'path' (why)") and the walk goes on.
  Status recoverFolder(const std::string& folder, int depth, std::vector<std::string>& left);
  void rememberFolder(const std::string& path);
  void forgetFolder(const std::string& path);
  bool knownFolder(const std::string& path);

  WebDavOptions options_;
  Logger& logger_;
  std::unique_ptr<DavClient> client_;
  std::unique_ptr<TempJournal> journal_;
  std::atomic<bool> sidecars_{false};
  std::atomic<bool> metadataModeSettled_{false};
  std::atomic<bool> markerChecked_{false};   ///< the marker was looked for (auto mode)
  std::atomic<bool> markerRecorded_{false};  ///< the marker exists on the server
  /// How a prune's DELETE names its lock's token: a tagged list (`If: <url> (token)`) until a
  /// server refused that and took the untagged one (`If: (token)`; see pruneIfEmpty()).
  std::atomic<bool> untaggedLockToken_{false};
  std::mutex foldersMutex_;
  std::set<std::string> knownFolders_;
};

}  // namespace dms::webdav
