#pragma once
/// dms::DocumentTarget over WebDAV (RFC 4918): Apache mod_dav, Nextcloud, SharePoint, Alfresco.
///
/// Every path maps below the configured base collection, each segment percent-encoded
/// (UTF-8, NFC). How each operation is done:
///   ensureFolder  PROPFIND the full path; else MKCOL level by level (409 = parent missing;
///                 405, 400 or 403 = maybe created meanwhile by someone else: PROPFIND Depth 0
///                 again, a collection is success, nothing there keeps the MKCOL's error, e.g.
///                 403 -> PermissionDenied). Known folders are cached; a 409 (a cached folder
///                 removed by someone else) drops the cache entry and starts over.
///   put           PUT streamed (64 KiB buffer; Content-Length when the stream can seek, else
///                 chunked) to ".dms-tmp-<random>-<name>" in the same collection, size verified
///                 by PROPFIND getcontentlength, metadata PROPPATCHed onto the temporary, then
///                 MOVE to the final name with Overwrite: F (CreateNew; 412 -> AlreadyExists) or
///                 T (Replace). A failure DELETEs the temporary. A MOVE whose answer was lost
///                 (timeout, connection reset) is not repeated blindly: the destination and the
///                 temporary are checked first.
///   metadata      dead properties in the namespace urn:ambita-dms:meta:1, one per key (name
///                 "m_" + key, bytes outside [A-Za-z0-9.-] written _XX). In "auto" mode a server
///                 that refuses dead properties switches the target to sidecars (once). Sidecar
///                 ".dms-meta-<name>.json" next to the file, never listed; it is moved into
///                 place right after the file (a reader may briefly see the file without it).
///   stat / list   PROPFIND Depth 0 / Depth 1; bookkeeping names (".dms-*") are not listed.
///   remove        DELETE (refused for folders: a WebDAV DELETE would be recursive); pruning an
///                 empty parent LOCKs it, checks it is still empty, then DELETEs it under the
///                 lock (plain check-then-DELETE on servers without locking).
///   move          MOVE with Overwrite: F.
///   recover       walks every collection (PROPFIND Depth 1) and DELETEs temporaries.
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
#include <set>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>

#include "dms/DocumentTarget.h"
#include "dms/Logger.h"
#include "dms/webdav/WebDavOptions.h"

namespace dms::webdav {

class DavClient;
struct DavResource;

class WebDavTarget final : public DocumentTarget {
 public:
  /// `options` already validated (WebDavOptions::parse). Errors: InvalidArgument when the TLS
  /// context cannot be built (e.g. unreadable caFile). Makes no request.
  static Result<std::unique_ptr<WebDavTarget>> create(const WebDavOptions& options, Logger& logger);
  ~WebDavTarget() override;

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

  /// Ends the client's retry pauses at once (whatever Retry-After a server sent) and makes
  /// further retries fail with Cancelled, so that a host stopping can join its threads
  /// quickly. Not part of dms::DocumentTarget yet: a host or plugin that holds the concrete
  /// type may call it. Thread-safe, noexcept.
  void cancel() noexcept;
  /// Undoes cancel(). Thread-safe.
  void resume() noexcept;

  /// HTTP sessions opened so far (tests prove keep-alive reuse with it).
  std::size_t sessionsCreatedForTest() const;
  /// True once metadata is kept in sidecars (configured, or detected in auto mode).
  bool usesSidecarsForTest() const { return sidecars_.load(); }

 private:
  WebDavTarget(const WebDavOptions& options, Poco::Net::Context::Ptr tls, Logger& logger);

  std::string href(const std::string& path, bool collection) const;
  std::string absoluteUrl(const std::string& path) const;
  Result<std::vector<DavResource>> propfind(const std::string& path, bool collection, int depth,
                                            bool allProperties);
  Result<DavResource> propfindOne(const std::string& path, bool allProperties);
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
  Status writeSidecar(const std::string& filePath, const Metadata& metadata);
  Result<Metadata> readSidecar(const std::string& filePath);
  Status recoverFolder(const std::string& folder, int depth);
  void rememberFolder(const std::string& path);
  void forgetFolder(const std::string& path);
  bool knownFolder(const std::string& path);

  WebDavOptions options_;
  Logger& logger_;
  std::unique_ptr<DavClient> client_;
  std::atomic<bool> sidecars_{false};
  std::atomic<bool> metadataModeSettled_{false};
  std::mutex foldersMutex_;
  std::set<std::string> knownFolders_;
};

}  // namespace dms::webdav
