#include "dms/webdav/WebDavTarget.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <sstream>
#include <thread>

#include "DavClient.h"
#include "DavPath.h"
#include "Multistatus.h"
#include "TempJournal.h"
#include "dms/common/BookkeepingNames.h"
#include "dms/common/MetadataRules.h"
#include "dms/common/PathRules.h"
#include "dms/common/SidecarCodec.h"

namespace dms::webdav {
namespace {

using common::quotePath;
using common::RootPolicy;

constexpr const char* kLogSource = "webdav";
/// Sidecars and the mode marker are small; a bigger answer is not ours and is not read whole.
constexpr std::size_t kMaxSmallFileBytes = 1 << 20;
constexpr std::string_view kModeSidecar = "sidecar";
constexpr std::string_view kModeProperties = "properties";
/// Lines of the TempJournal: a temporary to delete, a file whose sidecar goes if the file
/// is not in place (a put that did not get to its MOVE, a remove that got past its DELETE), or
/// a moved file whose sidecar follows it.
constexpr const char* kJournalTemp = "temp ";
constexpr const char* kJournalSidecarOf = "sidecar-of ";
/// A move() in sidecar mode: "<from>\t<to>" (a normalised path holds no control character).
constexpr const char* kJournalSidecarFollows = "sidecar-follows ";

const char* const kPropfindBasic =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/><D:getcontentlength/>"
    "<D:getlastmodified/><D:getetag/></D:prop></D:propfind>";

const char* const kPropfindAll =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>";

EntryInfo toEntry(const DavResource& resource, const std::string& path) {
  EntryInfo info;
  info.path = path;
  info.name = path.empty() ? std::string() : common::baseName(path);
  info.type = resource.collection ? EntryType::Folder : EntryType::File;
  info.size = resource.collection ? 0 : resource.contentLength.value_or(0);
  info.modifiedEpochSeconds = resource.modifiedEpochSeconds;
  return info;
}

/// XML 1.0 cannot carry C0 control characters other than tab, LF and CR.
Status checkXmlValues(const Metadata& metadata, const std::string& path) {
  for (const auto& [key, value] : metadata) {
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && c != '\t' && c != '\n' && c != '\r')
        return fail(ErrorCode::InvalidArgument,
                    "metadata of " + quotePath(path) + ": the value of key '" + key +
                        "' contains a control character that WebDAV properties cannot carry");
    }
  }
  return {};
}

std::string sidecarPathOf(const std::string& filePath) {
  return common::childPath(common::parentPath(filePath),
                           common::sidecarName(common::baseName(filePath)));
}

/// Runs `body`, turning any escaping exception into an Internal error (nothing is thrown
/// across the module boundary).
template <class R, class F>
R guarded(const std::string& what, F&& body) {
  try {
    return body();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Internal, what + ": unexpected error: " + e.displayText());
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, what + ": unexpected error: " + e.what());
  } catch (...) {
    return fail(ErrorCode::Internal, what + ": unexpected error");
  }
}

}  // namespace

Result<std::unique_ptr<WebDavTarget>> WebDavTarget::create(const WebDavOptions& options,
                                                           Logger& logger,
                                                           const std::string& dataDir) {
  Poco::Net::Context::Ptr tls;
  // Only an https target needs TLS (redirects never leave the target's origin): loading the
  // system's CA store took ~15 ms of every run's CPU with a plain http URL. A caFile, when
  // given, is still checked here, whatever the URL.
  const bool https = Poco::icompare(Poco::URI(options.url).getScheme(), "https") == 0;
  if (https || !options.caFile.empty()) {
    try {
      // One context per target, verifying the server's chain and its host name. STRICT, not
      // RELAXED: Poco skips the host-name check in relaxed mode when the host is loopback. The
      // process-wide SSLManager is never touched.
      tls = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", options.caFile,
                                   Poco::Net::Context::VERIFY_STRICT, 9, options.caFile.empty(),
                                   "ALL:!ADH:!LOW:!EXP:!MD5:!aNULL:@STRENGTH");
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::InvalidArgument, "target.caFile: cannot set up TLS with '" +
                                                  options.caFile + "': " + e.displayText());
    }
  }
  try {
    return std::unique_ptr<WebDavTarget>(new WebDavTarget(options, tls, logger, dataDir));
  } catch (const std::exception& e) {
    return fail(ErrorCode::InvalidArgument, std::string("target.url: ") + e.what());
  }
}

WebDavTarget::WebDavTarget(const WebDavOptions& options, Poco::Net::Context::Ptr tls,
                           Logger& logger, const std::string& dataDir)
    : options_(options),
      logger_(logger),
      client_(std::make_unique<DavClient>(options, std::move(tls), logger)),
      journal_(std::make_unique<TempJournal>(dataDir)) {
  if (options_.metadata == MetadataMode::Sidecar) {
    sidecars_ = true;
    metadataModeSettled_ = true;
  } else if (options_.metadata == MetadataMode::Properties) {
    metadataModeSettled_ = true;
  }
}

WebDavTarget::~WebDavTarget() = default;

Capabilities WebDavTarget::capabilities() const {
  Capabilities caps;
  caps.nativeMetadata = !sidecars_.load();
  caps.atomicPut = true;
  caps.move = true;
  caps.modificationTime = true;
  return caps;
}

std::string WebDavTarget::describe() const {
  return "webdav:" + options_.url;
}

void WebDavTarget::cancel() noexcept {
  client_->cancel();
}

void WebDavTarget::resume() noexcept {
  client_->resume();
}

std::size_t WebDavTarget::sessionsCreatedForTest() const {
  return client_->poolForTest().sessionsCreatedForTest();
}

std::string WebDavTarget::href(const std::string& path, bool collection) const {
  std::string out = client_->basePath() + encodeRelativePath(path);
  if (collection && !path.empty()) out += '/';
  return out;
}

std::string WebDavTarget::absoluteUrl(const std::string& path) const {
  return client_->origin() + href(path, false);
}

// ---- folder cache --------------------------------------------------------------------------

void WebDavTarget::rememberFolder(const std::string& path) {
  std::lock_guard lock(foldersMutex_);
  // A known folder implies its parents.
  std::string p = path;
  while (!p.empty()) {
    knownFolders_.insert(p);
    p = common::parentPath(p);
  }
}

void WebDavTarget::forgetFolder(const std::string& path) {
  std::lock_guard lock(foldersMutex_);
  for (auto it = knownFolders_.lower_bound(path); it != knownFolders_.end();) {
    if (*it == path || it->rfind(path + "/", 0) == 0)
      it = knownFolders_.erase(it);
    else if (it->compare(0, path.size(), path) != 0)
      break;
    else
      ++it;
  }
}

bool WebDavTarget::knownFolder(const std::string& path) {
  if (path.empty()) return true;
  std::lock_guard lock(foldersMutex_);
  return knownFolders_.count(path) > 0;
}

// ---- request helpers -----------------------------------------------------------------------

Result<std::vector<DavResource>> WebDavTarget::propfind(const std::string& path, bool collection,
                                                        int depth, bool allProperties,
                                                        bool explainForbidden) {
  DavRequest request;
  request.method = "PROPFIND";
  request.target = href(path, collection);
  request.headers = {{"Depth", std::to_string(depth)}};
  request.body = allProperties ? kPropfindAll : kPropfindBasic;
  const std::string what = "PROPFIND " + quotePath(path);
  auto response = client_->execute(request);
  if (!response) return response.error();
  // Apache answers 400 for a path below a file: for a PROPFIND (our body is fixed and
  // well-formed) that means the path does not exist either. lighttpd answers 403 for it.
  if (response->status == 404 || response->status == 400 ||
      (response->status == 403 && explainForbidden && atOrBelowAFile(path)))
    return fail(ErrorCode::NotFound, quotePath(path) + " does not exist");
  if (response->status != 207) return DavClient::errorForStatus(*response, what);
  auto resources = parseMultistatus(response->body, what);
  if (!resources) return resources.error();
  std::vector<DavResource> out;
  for (auto& resource : *resources) {
    auto relative = hrefToRelativePath(resource.href, client_->basePath(), request.target);
    if (!relative) continue;  // outside the base collection: not ours to report
    if (!relative->empty() && relative->back() == '/') relative->pop_back();
    resource.path = std::move(*relative);
    out.push_back(std::move(resource));
  }
  return out;
}

bool WebDavTarget::atOrBelowAFile(const std::string& path) {
  // Top-down, so that every PROPFIND is for a path whose parent is a collection.
  std::string prefix;
  for (const auto& segment : common::splitPath(path)) {
    prefix = common::childPath(prefix, segment);
    auto resources = propfind(prefix, false, 0, false, false);
    if (!resources || resources->empty()) return false;
    auto self = std::find_if(resources->begin(), resources->end(),
                             [&](const DavResource& r) { return r.path == prefix; });
    if (!(self == resources->end() ? resources->front() : *self).collection) return true;
  }
  return false;
}

Result<DavResource> WebDavTarget::propfindOne(const std::string& path, bool allProperties) {
  auto resources = propfind(path, false, 0, allProperties);
  if (!resources) return resources.error();
  for (auto& resource : *resources)
    if (resource.path == path) return std::move(resource);
  if (resources->size() == 1) return std::move(resources->front());
  return fail(ErrorCode::Internal,
              "PROPFIND " + quotePath(path) + ": the server's answer does not describe the path");
}

Status WebDavTarget::deleteResource(const std::string& path, bool collection) {
  DavRequest request;
  request.method = "DELETE";
  request.target = href(path, collection);
  auto response = client_->execute(request);
  if (!response) return response.error();
  if (response->status == 200 || response->status == 204) return {};
  if (response->status == 404)
    return fail(ErrorCode::NotFound, quotePath(path) + " does not exist");
  return DavClient::errorForStatus(*response, "DELETE " + quotePath(path));
}

Status WebDavTarget::checkParent(const std::string& parent) {
  if (knownFolder(parent)) return {};
  auto resource = propfindOne(parent, false);
  if (!resource) {
    if (resource.error().code == ErrorCode::NotFound)
      return fail(ErrorCode::Conflict, "parent folder " + quotePath(parent) + " does not exist");
    return resource.error();
  }
  if (!resource->collection)
    return fail(ErrorCode::Conflict, "parent " + quotePath(parent) + " is a file, not a folder");
  rememberFolder(parent);
  return {};
}

Status WebDavTarget::moveResource(const std::string& from, const std::string& to, bool overwrite,
                                  std::uint64_t expectedSize) {
  const std::string what = "MOVE " + quotePath(from) + " to " + quotePath(to);
  // The source is gone although the MOVE's answer said nothing of it: the file at the
  // destination, of the size expected, is the moved one.
  const auto movedAlready = [&](const std::string& why) {
    auto destination = propfindOne(to, false);
    if (destination && !destination->collection &&
        destination->contentLength.value_or(0) == expectedSize) {
      logger_.info(kLogSource, what + ": " + why + " but the move had happened");
      return true;
    }
    return false;
  };
  const int maxAttempts = 1 + options_.retries;
  for (int attempt = 1;; ++attempt) {
    DavRequest request;
    request.method = "MOVE";
    request.target = href(from, false);
    request.headers = {{"Destination", absoluteUrl(to)}, {"Overwrite", overwrite ? "T" : "F"}};
    request.retryTransportErrors = false;
    auto response = client_->execute(request);
    if (response) {
      if (response->status == 201 || response->status == 204) return {};
      if (response->status == 412)
        return fail(ErrorCode::AlreadyExists, "a file already exists at " + quotePath(to));
      if (response->status == 404) {
        // Repeated after a 5xx (a proxy's 502/504 whose MOVE had gone through): the first
        // attempt may have moved it.
        if (response->attempts > 1 && movedAlready("an earlier attempt was answered with an error"))
          return {};
        return fail(ErrorCode::NotFound, quotePath(from) + " does not exist");
      }
      if (response->status == 409) {
        forgetFolder(common::parentPath(to));  // someone removed it since we saw it
        return fail(ErrorCode::Conflict,
                    "the parent folder of " + quotePath(to) + " does not exist");
      }
      return DavClient::errorForStatus(*response, what);
    }
    if (response.error().code != ErrorCode::Unavailable) return response.error();
    // The answer was lost: the MOVE may or may not have happened. Look before repeating it.
    auto source = propfindOne(from, false);
    if (!source && source.error().code == ErrorCode::NotFound) {
      if (movedAlready("the answer was lost")) return {};
      return fail(ErrorCode::Unavailable, what + ": the answer was lost and the source is gone (" +
                                              response.error().message + ")");
    }
    if (attempt >= maxAttempts) return response.error();
    if (!client_->pause(std::chrono::milliseconds(options_.retryDelayMs) * attempt))
      return fail(ErrorCode::Cancelled, what + ": stopped while waiting to retry");
  }
}

// ---- metadata ------------------------------------------------------------------------------

Status WebDavTarget::writeProperties(const std::string& path, const Metadata& metadata,
                                     const Metadata& previous) {
  std::string set;
  for (const auto& [key, value] : metadata)
    set += "<m:" + metadataPropertyName(key) + ">" + xmlEscape(value) +
           "</m:" + metadataPropertyName(key) + ">";
  std::string removed;
  for (const auto& [key, value] : previous)
    if (!metadata.count(key)) removed += "<m:" + metadataPropertyName(key) + "/>";
  if (set.empty() && removed.empty()) return {};
  DavRequest request;
  request.method = "PROPPATCH";
  request.target = href(path, false);
  request.body = std::string("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n") +
                 "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:m=\"" + kMetaNamespace + "\">" +
                 (set.empty() ? "" : "<D:set><D:prop>" + set + "</D:prop></D:set>") +
                 (removed.empty() ? "" : "<D:remove><D:prop>" + removed + "</D:prop></D:remove>") +
                 "</D:propertyupdate>";
  const std::string what = "PROPPATCH " + quotePath(path);
  auto response = client_->execute(request);
  if (!response) return response.error();
  if (response->status == 404)
    return fail(ErrorCode::NotFound, quotePath(path) + " does not exist");
  if (response->status == 405 || response->status == 501)
    return fail(ErrorCode::NotSupported, what + ": the server does not support PROPPATCH");
  // 207 lists each property's fate; lighttpd answers a full success with 204 No Content and
  // others with 200 (the first write of a target reads them back: checkPropertiesKept).
  if (response->status == 200 || response->status == 204) return {};
  if (response->status != 207) return DavClient::errorForStatus(*response, what);
  auto resources = parseMultistatus(response->body, what);
  if (!resources) return resources.error();
  for (const auto& resource : *resources) {
    if (resource.status >= 300)
      return fail(ErrorCode::NotSupported, what + ": the server refused the properties (" +
                                               std::to_string(resource.status) + ")");
    for (const auto& [name, status] : resource.propertyStatus) {
      if (status == 200) continue;
      if (status == 507)
        return fail(ErrorCode::InsufficientStorage, what + ": no space for property " + name);
      return fail(ErrorCode::NotSupported, what + ": the server refused property " + name + " (" +
                                               std::to_string(status) + ")");
    }
  }
  return {};
}

Status WebDavTarget::putSmallFile(const std::string& path, const std::string& text,
                                  bool overwrite) {
  std::istringstream body(text);
  const std::string temp =
      common::childPath(common::parentPath(path), common::makeTempName(common::baseName(path)));
  const auto inFlight = journal_->begin({kJournalTemp + temp});
  DavRequest request;
  request.method = "PUT";
  request.target = href(temp, false);
  request.content = &body;
  request.contentLength = text.size();
  auto response = client_->execute(request);
  if (!response) return response.error();
  if (response->status != 201 && response->status != 204 && response->status != 200) {
    (void)deleteResource(temp, false);
    return DavClient::errorForStatus(*response, "PUT " + quotePath(path));
  }
  auto moved = moveResource(temp, path, overwrite, text.size());
  if (!moved) (void)deleteResource(temp, false);
  return moved;
}

Status WebDavTarget::writeSidecar(const std::string& filePath, const Metadata& metadata) {
  const std::string sidecar = sidecarPathOf(filePath);
  if (metadata.empty()) {
    auto removed = deleteResource(sidecar, false);
    if (!removed && removed.error().code != ErrorCode::NotFound) return removed;
    return {};
  }
  if (auto ok = putSmallFile(sidecar, common::encodeSidecar(metadata), true); !ok)
    return Error{ok.error().code,
                 "metadata sidecar of " + quotePath(filePath) + ": " + ok.error().message,
                 ok.error().retryAfter};
  return {};
}

Result<std::optional<std::string>> WebDavTarget::getSmallFile(const std::string& path) {
  // Through execute(), not openGet(): the answer is read whole, so a 404 keeps the
  // connection for the next request.
  DavRequest request;
  request.method = "GET";
  request.target = href(path, false);
  auto response = client_->execute(request);
  if (!response) return response.error();
  if (response->status == 404) return std::optional<std::string>();
  if (response->status != 200)
    return DavClient::errorForStatus(*response, "GET " + quotePath(path));
  if (response->body.size() > kMaxSmallFileBytes)
    return fail(ErrorCode::DataLoss, quotePath(path) + " is larger than " +
                                         std::to_string(kMaxSmallFileBytes) + " bytes: not ours");
  return std::optional<std::string>(std::move(response->body));
}

Result<Metadata> WebDavTarget::readSidecar(const std::string& filePath) {
  const std::string sidecar = sidecarPathOf(filePath);
  auto text = getSmallFile(sidecar);
  if (!text) return text.error();
  if (!*text) return Metadata{};
  return common::decodeSidecar(**text, quotePath(sidecar));
}

Status WebDavTarget::loadMetadataMode() {
  if (metadataModeSettled_.load() || markerChecked_.load()) return {};
  const std::string marker(common::kMetadataModeMarker);
  auto text = getSmallFile(marker);
  if (!text) return text.error();
  if (!*text) {
    markerChecked_ = true;  // nothing decided yet: the first metadata write decides
    return {};
  }
  std::string mode = **text;
  while (!mode.empty() && std::isspace(static_cast<unsigned char>(mode.back()))) mode.pop_back();
  if (mode == kModeSidecar) {
    sidecars_ = true;
  } else if (mode != kModeProperties) {
    return fail(ErrorCode::DataLoss,
                quotePath(marker) + " says '" + mode + "'; expected 'sidecar' or 'properties'");
  }
  markerRecorded_ = true;
  metadataModeSettled_ = true;
  markerChecked_ = true;
  return {};
}

Status WebDavTarget::recordMetadataMode() {
  if (options_.metadata != MetadataMode::Auto || markerRecorded_.load()) return {};
  const std::string marker(common::kMetadataModeMarker);
  const std::string mode(sidecars_.load() ? kModeSidecar : kModeProperties);
  auto written = putSmallFile(marker, mode + "\n", false);
  // AlreadyExists: an earlier process decided the same (the server is the same server).
  if (!written && written.error().code != ErrorCode::AlreadyExists) return written;
  logger_.info(kLogSource, "metadata of this target are kept as " +
                               std::string(sidecars_.load() ? "sidecar files" : "dead properties") +
                               " (recorded in " + quotePath(marker) + ")");
  markerRecorded_ = true;
  return {};
}

Status WebDavTarget::checkPropertiesKept(const std::string& path, const Metadata& metadata) {
  auto resource = propfindOne(path, true);
  if (!resource) return resource.error();
  if (resource->metadata == metadata) return {};
  return fail(ErrorCode::NotSupported, "PROPPATCH " + quotePath(path) +
                                           ": the server accepted the properties but does not "
                                           "return them");
}

// ---- dms::DocumentTarget -------------------------------------------------------------------

Status WebDavTarget::ensureFolder(const std::string& rawPath) {
  return guarded<Status>("ensureFolder", [&]() -> Status {
    auto path = common::normalisePath(rawPath, RootPolicy::Allow);
    if (!path) return path.error();
    if (knownFolder(*path)) return {};
    // Below a parent seen or made by this target (a second folder of the same order) the
    // MKCOL alone is the check: 201 made it, and one already there costs the PROPFIND after
    // the MKCOL's 405 instead of this one. Elsewhere (the base collection counts as unseen:
    // top-level folders are often there from earlier runs) one PROPFIND first spares the
    // MKCOLs of a whole existing chain.
    const std::string parent = common::parentPath(*path);
    if (parent.empty() || !knownFolder(parent)) {
      auto existing = propfindOne(*path, false);
      if (existing) {
        if (!existing->collection)
          return fail(ErrorCode::Conflict, "a file is in the way at " + quotePath(*path));
        rememberFolder(*path);
        return {};
      }
      if (existing.error().code != ErrorCode::NotFound) return existing.error();
    }

    const auto segments = common::splitPath(*path);
    // A 409 means a parent we had cached is gone (removed by someone else): forget the
    // cached chain and go once more from the top.
    for (int pass = 0; pass < 2; ++pass) {
      std::string prefix;
      bool parentVanished = false;
      for (const auto& segment : segments) {
        prefix = common::childPath(prefix, segment);
        if (knownFolder(prefix)) continue;
        DavRequest request;
        request.method = "MKCOL";
        request.target = href(prefix, true);
        auto response = client_->execute(request);
        if (!response) return response.error();
        if (response->status == 201) {
          rememberFolder(prefix);
          continue;
        }
        // 405: something exists there (a folder, or a file in the way); Apache answers 400 for
        // "file/" when a file is there, and 403 when another client created the collection
        // between our PROPFIND and this MKCOL. So look again (Depth 0): a collection there now
        // is success; only if nothing is there does the MKCOL's own answer stand.
        if (response->status == 405 || response->status == 400 || response->status == 403) {
          auto there = propfindOne(prefix, false);
          if (!there) {
            if (there.error().code == ErrorCode::NotFound)
              return DavClient::errorForStatus(*response, "MKCOL " + quotePath(prefix));
            return there.error();
          }
          if (!there->collection)
            return fail(ErrorCode::Conflict, "a file is in the way at " + quotePath(prefix));
          rememberFolder(prefix);
          continue;
        }
        if (response->status == 409) {
          parentVanished = true;
          break;
        }
        return DavClient::errorForStatus(*response, "MKCOL " + quotePath(prefix));
      }
      if (!parentVanished) return {};
      forgetFolder(segments.front());
    }
    return fail(ErrorCode::Conflict,
                "a parent folder disappeared while creating " + quotePath(*path));
  });
}

void WebDavTarget::cleanupAbortedUpload(const std::string& temp) {
  // rclone (Go's x/net/webdav) goes on writing an upload the client abandoned for a moment
  // after the connection dropped, and the file may appear after our DELETE: look again a few
  // times (bounded: about 0.6 s) so that no temporary is left behind.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto removed = deleteResource(temp, false);
    if (!removed && removed.error().code != ErrorCode::NotFound) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    auto there = propfindOne(temp, false);
    if (!there && there.error().code == ErrorCode::NotFound) return;
  }
  logger_.warning(kLogSource, "could not remove the temporary " + quotePath(temp) +
                                  " of an aborted upload (recover() will)");
}

namespace {

/// What is left to read of `content` when the stream can tell (sent as Content-Length);
/// nullopt when it cannot (sent chunked).
std::optional<std::uint64_t> remainingLength(std::istream& content) {
  try {
    std::streampos start = content.tellg();
    if (start == std::streampos(-1)) return std::nullopt;
    content.seekg(0, std::ios::end);
    std::streampos end = content.tellg();
    content.clear();
    content.seekg(start);
    if (end != std::streampos(-1) && content && end >= start)
      return static_cast<std::uint64_t>(end - start);
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace

Status WebDavTarget::checkPutDestination(const std::string& path, PutMode mode) {
  // CreateNew with properties (mode settled) spends no request here: the MOVE with
  // Overwrite: F is the guard, and losing it costs only our temporary (the PROPPATCH went to
  // the temporary, nothing of the other file is touched). Replace must look (a MOVE with
  // Overwrite: T onto a folder would delete the folder, recursively), and so must a put that
  // may write a sidecar (it goes into place before the MOVE and would replace the sidecar of
  // a file already there).
  if (mode == PutMode::CreateNew && !mayHaveSidecars()) return {};
  auto existing = propfindOne(path, false);
  if (existing) {
    if (existing->collection)
      return fail(ErrorCode::Conflict, "a folder is in the way at " + quotePath(path));
    if (mode == PutMode::CreateNew)
      return fail(ErrorCode::AlreadyExists, "a file already exists at " + quotePath(path));
  } else if (existing.error().code != ErrorCode::NotFound) {
    return existing.error();
  }
  return {};
}

void WebDavTarget::removeTemporary(const std::string& temp) {
  auto removed = deleteResource(temp, false);
  if (!removed && removed.error().code != ErrorCode::NotFound)
    logger_.warning(kLogSource, "could not remove the temporary " + quotePath(temp) + ": " +
                                    removed.error().describe() + " (recover() will)");
}

Result<DavResource> WebDavTarget::uploadTemporary(const std::string& path, const std::string& temp,
                                                  std::istream& content) {
  const std::string parent = common::parentPath(path);
  DavRequest request;
  request.method = "PUT";
  request.target = href(temp, false);
  request.content = &content;
  request.contentLength = remainingLength(content);
  if (content.bad())
    return fail(ErrorCode::DataLoss,
                "put " + quotePath(path) + ": the content stream is unreadable");
  auto response = client_->execute(request);
  if (!response) {
    cleanupAbortedUpload(temp);
    return Error{response.error().code, "put " + quotePath(path) + ": " + response.error().message,
                 response.error().retryAfter};
  }
  if (response->status != 201 && response->status != 204 && response->status != 200) {
    removeTemporary(temp);
    if (response->status == 409) {
      forgetFolder(parent);  // removed since we saw it: the next ensureFolder makes it again
      return fail(ErrorCode::Conflict, "put " + quotePath(path) + ": the parent folder " +
                                           quotePath(parent) + " does not exist");
    }
    return DavClient::errorForStatus(*response, "put " + quotePath(path));
  }
  const std::uint64_t sent = response->bytesSent;
  if (request.contentLength && *request.contentLength == sent) {
    // A 2xx to a PUT with Content-Length means the server took exactly that many bytes (HTTP
    // frames the body by it): no PROPFIND needed to know what is stored.
    DavResource stored;
    stored.contentLength = sent;
    stored.modifiedEpochSeconds = static_cast<std::int64_t>(std::time(nullptr));
    return stored;
  }

  // Chunked: verify what the server stored before anyone can see it under the final name.
  auto stored = propfindOne(temp, false);
  if (!stored) {
    removeTemporary(temp);
    return stored.error();
  }
  if (stored->contentLength.value_or(0) != sent) {
    removeTemporary(temp);
    return fail(ErrorCode::DataLoss, "put " + quotePath(path) + ": the server stored " +
                                         std::to_string(stored->contentLength.value_or(0)) +
                                         " bytes of " + std::to_string(sent));
  }
  return stored;
}

Status WebDavTarget::attachMetadata(const std::string& path, const std::string& temp,
                                    const Metadata& metadata) {
  if (!sidecars_.load() && !metadata.empty()) {
    auto written = writeProperties(temp, metadata, {});
    // Before the mode is settled, read them back: lighttpd answers 204 instead of a
    // multistatus, and a server may accept properties it does not keep.
    if (written && !metadataModeSettled_.load()) written = checkPropertiesKept(temp, metadata);
    if (written)
      metadataModeSettled_ = true;
    else if (!fallBackToSidecars(written.error()))
      return written.error();
    if (auto ok = recordMetadataMode(); !ok) return ok.error();
  }
  // The sidecar goes first: a crash before the MOVE leaves a sidecar without its file (which
  // readMetadata ignores and recover() deletes), never our file without its metadata (which
  // the next run would take for someone else's and file again as "name (2)").
  if (sidecars_.load()) {
    if (auto ok = writeSidecar(path, metadata); !ok)
      return Error{ok.error().code, "put " + quotePath(path) + ": " + ok.error().message,
                   ok.error().retryAfter};
  }
  return {};
}

Result<EntryInfo> WebDavTarget::put(const std::string& rawPath, std::istream& content,
                                    const Metadata& metadata, PutMode mode) {
  return guarded<Result<EntryInfo>>("put", [&]() -> Result<EntryInfo> {
    auto normalised = common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!normalised) return normalised.error();
    // Metadata known up front is refused before anything is sent.
    if (auto ok = checkPutMetadata(metadata, *normalised); !ok) return ok.error();
    return putThenDescribe(
        *normalised, content, [&]() -> Result<Metadata> { return metadata; }, mode);
  });
}

Status WebDavTarget::checkPutMetadata(const Metadata& metadata, const std::string& path) {
  if (auto ok = common::validateMetadata(metadata, path); !ok) return ok;
  if (!metadata.empty())
    if (auto ok = loadMetadataMode(); !ok) return ok;
  if (!sidecars_.load())
    if (auto ok = checkXmlValues(metadata, path); !ok) return ok;
  return {};
}

Result<EntryInfo> WebDavTarget::putThenDescribe(const std::string& path, std::istream& content,
                                                const MetadataAfterContent& metadata,
                                                PutMode mode) {
  const std::string parent = common::parentPath(path);
  if (auto ok = checkParent(parent); !ok) return ok.error();
  if (auto ok = checkPutDestination(path, mode); !ok) return ok.error();

  const std::string temp = common::childPath(parent, common::makeTempName(common::baseName(path)));
  // A crash may leave the temporary, and (CreateNew in sidecar mode) the sidecar written
  // before the MOVE: recorded for recover(), which finds neither in nginx's listings.
  std::vector<std::string> mayLeave{kJournalTemp + temp};
  if (mode == PutMode::CreateNew) mayLeave.push_back(kJournalSidecarOf + path);
  const auto inFlight = journal_->begin(mayLeave);

  auto stored = uploadTemporary(path, temp, content);
  if (!stored) return stored.error();
  // Metadata may name the content's size and hash: known only now.
  auto made = metadata();
  if (made)
    if (auto ok = checkPutMetadata(*made, path); !ok) made = ok.error();
  if (!made) {
    removeTemporary(temp);
    return made.error();
  }
  if (auto ok = attachMetadata(path, temp, *made); !ok) {
    removeTemporary(temp);
    return ok.error();
  }
  const bool withSidecar = sidecars_.load();
  const std::uint64_t sent = stored->contentLength.value_or(0);
  auto moved = moveResource(temp, path, mode == PutMode::Replace, sent);
  if (!moved) {
    removeTemporary(temp);
    // Someone else's file took the name meanwhile: our sidecar must not describe it.
    if (withSidecar && mode == PutMode::CreateNew && moved.error().code == ErrorCode::AlreadyExists)
      (void)deleteResource(sidecarPathOf(path), false);
    return moved.error();
  }
  return toEntry(*stored, path);
}

Result<std::unique_ptr<std::istream>> WebDavTarget::get(const std::string& rawPath) {
  return guarded<Result<std::unique_ptr<std::istream>>>(
      "get", [&]() -> Result<std::unique_ptr<std::istream>> {
        auto path = common::normalisePath(rawPath, RootPolicy::Refuse);
        if (!path) return path.error();
        auto stream = client_->openGet(href(*path, false), "get " + quotePath(*path));
        if (!stream && stream.error().code == ErrorCode::PermissionDenied) {
          // Apache answers 403 for a GET on a collection without an index.
          auto there = propfindOne(*path, false);
          if (there && there->collection)
            return fail(ErrorCode::NotFound, quotePath(*path) + " is a folder, not a file");
        }
        if (!stream && stream.error().code == ErrorCode::NotFound)
          return fail(ErrorCode::NotFound, quotePath(*path) + " does not exist");
        return stream;
      });
}

Result<Metadata> WebDavTarget::readMetadata(const std::string& rawPath) {
  return guarded<Result<Metadata>>("readMetadata", [&]() -> Result<Metadata> {
    auto path = common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!path) return path.error();
    if (auto ok = loadMetadataMode(); !ok) return ok.error();
    // The file itself first: a sidecar without its file (a put interrupted before its MOVE)
    // describes nothing.
    auto resource = propfindOne(*path, !sidecars_.load());
    if (!resource) return resource.error();
    if (resource->collection)
      return fail(ErrorCode::NotFound, quotePath(*path) + " is a folder, not a file");
    if (sidecars_.load()) return readSidecar(*path);
    if (!resource->metadata.empty() || metadataModeSettled_.load()) return resource->metadata;
    // No mode recorded (nothing written yet, or filed before the marker existed): a sidecar
    // may hold the answer, and "no metadata" would make our file someone else's.
    return readSidecar(*path);
  });
}

Status WebDavTarget::writeMetadata(const std::string& rawPath, const Metadata& metadata) {
  return guarded<Status>("writeMetadata", [&]() -> Status {
    auto path = common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!path) return path.error();
    if (auto ok = common::validateMetadata(metadata, *path); !ok) return ok;
    if (auto ok = loadMetadataMode(); !ok) return ok;
    if (sidecars_.load()) {
      auto file = propfindOne(*path, false);
      if (!file) return file.error();
      if (file->collection)
        return fail(ErrorCode::NotFound, quotePath(*path) + " is a folder, not a file");
      return writeSidecar(*path, metadata);
    }
    if (auto ok = checkXmlValues(metadata, *path); !ok) return ok;
    auto resource = propfindOne(*path, true);
    if (!resource) return resource.error();
    if (resource->collection)
      return fail(ErrorCode::NotFound, quotePath(*path) + " is a folder, not a file");
    auto written = writeProperties(*path, metadata, resource->metadata);
    if (written && !metadataModeSettled_.load() && !metadata.empty())
      written = checkPropertiesKept(*path, metadata);
    if (written) {
      metadataModeSettled_ = true;
      return recordMetadataMode();
    }
    if (!fallBackToSidecars(written.error())) return written;
    if (auto ok = recordMetadataMode(); !ok) return ok;
    return writeSidecar(*path, metadata);
  });
}

bool WebDavTarget::mayHaveSidecars() const {
  return sidecars_.load() || !metadataModeSettled_.load();
}

bool WebDavTarget::fallBackToSidecars(const Error& refused) {
  if (refused.code != ErrorCode::NotSupported && refused.code != ErrorCode::PermissionDenied &&
      refused.code != ErrorCode::Conflict)
    return false;
  // Concurrent first puts all try properties: the first refusal switches, the others follow.
  if (metadataModeSettled_.load()) return sidecars_.load();
  logger_.warning(kLogSource, "the server does not keep dead properties (" + refused.message +
                                  "); metadata goes to sidecar files from now on");
  sidecars_ = true;
  metadataModeSettled_ = true;
  return true;
}

Result<EntryInfo> WebDavTarget::stat(const std::string& rawPath) {
  return guarded<Result<EntryInfo>>("stat", [&]() -> Result<EntryInfo> {
    auto path = common::normalisePath(rawPath, RootPolicy::Allow);
    if (!path) return path.error();
    auto resource = propfindOne(*path, false);
    if (!resource) return resource.error();
    if (resource->collection) rememberFolder(*path);
    return toEntry(*resource, *path);
  });
}

Result<std::vector<EntryInfo>> WebDavTarget::list(const std::string& rawFolder) {
  return guarded<Result<std::vector<EntryInfo>>>("list", [&]() -> Result<std::vector<EntryInfo>> {
    auto folder = common::normalisePath(rawFolder, RootPolicy::Allow);
    if (!folder) return folder.error();
    auto resources = propfind(*folder, true, 1, false);
    if (!resources) {
      if (resources.error().code != ErrorCode::NotFound || folder->empty())
        return resources.error();
      // "a/file/" is 404 on most servers: tell a missing folder from a file.
      auto there = propfindOne(*folder, false);
      if (there && !there->collection)
        return fail(ErrorCode::Conflict, quotePath(*folder) + " is a file, not a folder");
      return fail(ErrorCode::NotFound, "folder " + quotePath(*folder) + " does not exist");
    }
    std::vector<EntryInfo> entries;
    bool sawSelf = false;
    for (const auto& resource : *resources) {
      if (resource.path == *folder) {
        sawSelf = true;
        if (!resource.collection)
          return fail(ErrorCode::Conflict, quotePath(*folder) + " is a file, not a folder");
        continue;
      }
      if (common::parentPath(resource.path) != *folder) continue;
      const std::string name = common::baseName(resource.path);
      if (common::isBookkeepingName(name)) continue;
      entries.push_back(toEntry(resource, common::childPath(*folder, name)));
    }
    if (!sawSelf && entries.empty() && resources->empty())
      return fail(ErrorCode::NotFound, "folder " + quotePath(*folder) + " does not exist");
    rememberFolder(*folder);
    std::sort(entries.begin(), entries.end(),
              [](const EntryInfo& a, const EntryInfo& b) { return a.name < b.name; });
    return entries;
  });
}

Status WebDavTarget::remove(const std::string& rawPath, bool pruneEmptyParents) {
  return guarded<Status>("remove", [&]() -> Status {
    auto path = common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!path) return path.error();
    if (auto ok = loadMetadataMode(); !ok) return ok;
    auto resource = propfindOne(*path, false);
    if (!resource) return resource.error();
    if (resource->collection)
      return fail(ErrorCode::Conflict,
                  quotePath(*path) + " is a folder; remove() only removes files");
    // The sidecar goes after the file (never our file without its metadata, which would be
    // taken for someone else's). A crash between the two DELETEs, or a refused sidecar DELETE,
    // would leave a sidecar that describes nothing and that no later run deletes: the file is
    // gone, so the plugin's retry finds nothing to remove, and nginx lists no dot names for
    // recover()'s walk. Recorded like a put's sidecar: recover() deletes it once the file is
    // not there.
    auto inFlight =
        mayHaveSidecars() ? journal_->begin({kJournalSidecarOf + *path}) : TempJournal::Entry();
    if (auto ok = deleteResource(*path, false); !ok) return ok;
    if (mayHaveSidecars()) {
      auto removed = deleteResource(sidecarPathOf(*path), false);
      if (!removed && removed.error().code != ErrorCode::NotFound) {
        inFlight.keepForRecover();
        return removed;
      }
    }
    if (!pruneEmptyParents) return {};
    for (std::string folder = common::parentPath(*path); !folder.empty();
         folder = common::parentPath(folder)) {
      auto pruned = pruneIfEmpty(folder);
      if (!pruned) {
        logger_.info(kLogSource,
                     "not pruning " + quotePath(folder) + ": " + pruned.error().describe());
        break;
      }
      if (!*pruned) break;
    }
    return {};
  });
}

Result<bool> WebDavTarget::pruneIfEmpty(const std::string& folder) {
  auto isEmpty = [&]() -> Result<bool> {
    auto entries = propfind(folder, true, 1, false);
    if (!entries) return entries.error();
    for (const auto& entry : *entries)
      if (entry.path != folder) return false;
    return true;
  };
  auto empty = isEmpty();
  if (!empty || !*empty) return empty;

  // A WebDAV DELETE of a collection is recursive: lock the folder (so a concurrent PUT into it
  // fails with 423 instead of being deleted), look again, and delete only under the lock.
  // Servers without locking (405 or 501 to the LOCK) get the plain check-then-delete; any other
  // refusal of the LOCK leaves the folder.
  DavRequest lock;
  lock.method = "LOCK";
  lock.target = href(folder, true);
  lock.headers = {{"Depth", "infinity"}, {"Timeout", "Second-60"}};
  lock.body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:lockinfo xmlns:D=\"DAV:\"><D:lockscope>"
      "<D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
      "<D:owner>ambita-dms prune</D:owner></D:lockinfo>";
  auto locked = client_->execute(lock);
  if (!locked) return locked.error();
  std::string token;
  auto unlock = [&] {
    DavRequest request;
    request.method = "UNLOCK";
    request.target = href(folder, true);
    request.headers = {{"Lock-Token", token}};
    (void)client_->execute(request);
  };
  if (locked->status == 200 || locked->status == 201) {
    token = locked->header("Lock-Token");
    auto stillEmpty = isEmpty();
    if (!stillEmpty || !*stillEmpty) {
      unlock();
      return stillEmpty;
    }
  } else if (locked->status == 423) {
    return false;  // someone else holds it: not ours to delete
  } else if (locked->status == 405 || locked->status == 501) {
    // A server without locking: look again right before the DELETE (the LOCK's round trip
    // may have let a file in), and delete only what is still empty.
    auto stillEmpty = isEmpty();
    if (!stillEmpty || !*stillEmpty) return stillEmpty;
  } else {
    // A server with locking that failed this LOCK (5xx after the retries, 403, 409, 412): a
    // recursive DELETE without the lock could take a file filed into the folder meanwhile.
    return DavClient::errorForStatus(*locked, "LOCK " + quotePath(folder));
  }
  // The token goes in a tagged list naming the folder: Apache checks an untagged one against
  // the parent too, which is not locked (412). nginx's dav-ext compares the tag with the decoded
  // path, so a name that needs escaping ("Plan%20og%20regulering") never matches there (423),
  // and it takes only the untagged form. Our own token refused is answered at once, not retried
  // as a lock someone else holds; the other form is tried, and the one that worked is kept.
  auto deleteFolder = [&](bool untagged) {
    DavRequest request;
    request.method = "DELETE";
    request.target = href(folder, true);
    if (!token.empty()) {
      request.headers.emplace_back(
          "If", untagged ? "(" + token + ")"
                         : "<" + client_->origin() + request.target + "> (" + token + ")");
      request.retryLocked = false;
    }
    return client_->execute(request);
  };
  const bool untagged = untaggedLockToken_.load();
  auto response = deleteFolder(untagged);
  if (!token.empty() && response && (response->status == 423 || response->status == 412)) {
    response = deleteFolder(!untagged);
    if (response && (response->status == 200 || response->status == 204))
      untaggedLockToken_.store(!untagged);
  }
  forgetFolder(folder);
  // rclone (Go's x/net/webdav) keeps the lock of a deleted collection until it times out, and
  // it would block pruning the parent (a depth-infinity LOCK conflicts with it): release it.
  if (!token.empty()) unlock();
  if (!response) return response.error();
  if (response->status != 200 && response->status != 204 && response->status != 404)
    return DavClient::errorForStatus(*response, "DELETE " + quotePath(folder));
  return true;
}

Status WebDavTarget::move(const std::string& rawFrom, const std::string& rawTo) {
  return guarded<Status>("move", [&]() -> Status {
    auto from = common::normalisePath(rawFrom, RootPolicy::Refuse);
    if (!from) return from.error();
    auto to = common::normalisePath(rawTo, RootPolicy::Refuse);
    if (!to) return to.error();
    if (auto ok = loadMetadataMode(); !ok) return ok;
    auto source = propfindOne(*from, false);
    if (!source) return source.error();
    if (auto ok = checkParent(common::parentPath(*to)); !ok) return ok;
    // The sidecar follows the file. A crash between the two MOVEs, or a refused sidecar MOVE,
    // would leave the moved file without its metadata (someone else's, to the next run) and a
    // sidecar describing nothing that nginx never lists: recorded for recover().
    const bool withSidecar = mayHaveSidecars() && !source->collection;
    auto inFlight = withSidecar ? journal_->begin({kJournalSidecarFollows + *from + '\t' + *to})
                                : TempJournal::Entry();
    if (auto ok = moveResource(*from, *to, false, source->contentLength.value_or(0)); !ok)
      return ok;
    if (withSidecar) {
      auto moved = moveResource(sidecarPathOf(*from), sidecarPathOf(*to), true, 0);
      if (!moved && moved.error().code != ErrorCode::NotFound) {
        inFlight.keepForRecover();
        return moved;
      }
    }
    if (source->collection) forgetFolder(*from);
    return {};
  });
}

namespace {

/// A failure that says the server as a whole cannot be worked with now (down after the
/// retries, credentials, stop): recover()'s walk stops and fails. Anything else concerns one
/// resource (a DELETE refused, a LOCK of another client, a collection we may not list): it is
/// named as left, and the walk goes on.
bool stopsTheWalk(const Error& error) {
  return error.code == ErrorCode::Unavailable || error.code == ErrorCode::RateLimited ||
         error.code == ErrorCode::Unauthenticated || error.code == ErrorCode::Cancelled;
}

std::string leftEntry(const std::string& path, const Error& error) {
  return quotePath(path) + " (" + error.describe() + ")";
}

std::string joined(const std::vector<std::string>& entries) {
  std::string text;
  for (const auto& entry : entries) text += (text.empty() ? "" : ", ") + entry;
  return text;
}

}  // namespace

Status WebDavTarget::recoverFolder(const std::string& folder, int depth,
                                   std::vector<std::string>& left) {
  auto entries = propfind(folder, true, 1, false);
  if (!entries) {
    if (depth == 0 || stopsTheWalk(entries.error())) return entries.error();
    if (entries.error().code != ErrorCode::NotFound)
      left.push_back(leftEntry(folder, entries.error()));
    return {};
  }
  std::set<std::string> names;
  for (const auto& entry : *entries)
    if (entry.path != folder && common::parentPath(entry.path) == folder)
      names.insert(common::baseName(entry.path));
  // A leftover the server would not delete is named, and the walk goes on.
  const auto removeLeftover = [&](const std::string& path, bool collection) -> Status {
    auto removed = deleteResource(path, collection);
    if (removed || removed.error().code == ErrorCode::NotFound) return {};
    if (stopsTheWalk(removed.error())) return removed;
    left.push_back(leftEntry(path, removed.error()));
    return {};
  };
  for (const auto& entry : *entries) {
    if (entry.path == folder || common::parentPath(entry.path) != folder) continue;
    const std::string name = common::baseName(entry.path);
    const std::string fileOfSidecar = common::fileOfSidecar(name);
    if (!fileOfSidecar.empty() && !entry.collection && names.count(fileOfSidecar) == 0) {
      // A put interrupted between its sidecar and its MOVE: the sidecar describes nothing.
      logger_.info(kLogSource, "removing the orphaned sidecar " + quotePath(entry.path));
      if (auto ok = removeLeftover(entry.path, false); !ok) return ok;
    } else if (common::isTempName(name)) {
      logger_.info(kLogSource, "removing the leftover temporary " + quotePath(entry.path));
      if (auto ok = removeLeftover(entry.path, entry.collection); !ok) return ok;
    } else if (entry.collection && depth >= kMaxFolderDepth) {
      logger_.warning(kLogSource, "recover: not descending below " + quotePath(entry.path));
    } else if (entry.collection) {
      if (auto ok = recoverFolder(entry.path, depth + 1, left); !ok) return ok;
    }
  }
  return {};
}

std::vector<std::string> WebDavTarget::recoverJournal() {
  std::vector<std::string> left;  // "'path' (why)" of each record that could not be finished
  // The record stays (false) for the next recover(); `path` is what is left on the server.
  auto unfinished = [&](const std::string& path, const Error& error) {
    left.push_back(leftEntry(path, error));
    return false;
  };
  journal_->forEachAbandoned([&](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      std::string path;
      if (line.rfind(kJournalTemp, 0) == 0) {
        path = line.substr(std::strlen(kJournalTemp));
      } else if (line.rfind(kJournalSidecarFollows, 0) == 0) {
        const std::string paths = line.substr(std::strlen(kJournalSidecarFollows));
        const auto tab = paths.find('\t');
        if (tab == std::string::npos) continue;
        const std::string from = paths.substr(0, tab);
        if (auto moved = recoverSidecarMove(from, paths.substr(tab + 1)); !moved)
          return unfinished(sidecarPathOf(from), moved.error());
        continue;
      } else if (line.rfind(kJournalSidecarOf, 0) == 0) {
        // The sidecar stays if its file made it into place.
        const std::string file = line.substr(std::strlen(kJournalSidecarOf));
        auto there = propfindOne(file, false);
        if (there) continue;
        path = sidecarPathOf(file);
        if (there.error().code != ErrorCode::NotFound) return unfinished(path, there.error());
      } else {
        continue;  // a line of another version: nothing we know how to undo
      }
      auto removed = deleteResource(path, false);
      if (removed) {
        logger_.info(kLogSource, "removed " + quotePath(path) + " left by an interrupted put");
      } else if (removed.error().code != ErrorCode::NotFound) {
        return unfinished(path, removed.error());
      }
    }
    return true;
  });
  return left;
}

Status WebDavTarget::recoverSidecarMove(const std::string& from, const std::string& to) {
  auto atSource = propfindOne(from, false);
  if (atSource) return {};  // the file did not move: its sidecar is where it belongs
  if (atSource.error().code != ErrorCode::NotFound) return atSource.error();
  const std::string sidecar = sidecarPathOf(from);
  auto atDestination = propfindOne(to, false);
  if (!atDestination && atDestination.error().code != ErrorCode::NotFound)
    return atDestination.error();
  Status done = atDestination ? moveResource(sidecar, sidecarPathOf(to), true, 0)
                              : deleteResource(sidecar, false);
  if (!done && done.error().code != ErrorCode::NotFound) return done;
  if (done)
    logger_.info(kLogSource, std::string(atDestination ? "moved " : "removed ") +
                                 quotePath(sidecar) + " left by an interrupted move");
  return {};
}

Status WebDavTarget::recover() {
  return guarded<Status>("recover", [&]() -> Status {
    // Leftovers are reported as Incomplete, not only logged: the plugin files on but leaves no
    // clean mark, so the next lock holder calls recover() again (issue 15, startcost). The walk
    // runs whatever the records left: it removes what it can.
    const std::vector<std::string> records = recoverJournal();
    const std::string recordsText =
        records.empty()
            ? ""
            : std::to_string(records.size()) + " interrupted operation(s) recorded in " +
                  journal_->folder().string() +
                  " could not be finished (the records stay), left on the server: " +
                  joined(records);
    std::vector<std::string> found;
    if (auto walk = recoverFolder("", 0, found); !walk) {
      Error error = walk.error();
      error.message = "the walk of the collections failed: " + error.message;
      if (!records.empty()) error.message += "; " + recordsText;
      return error;
    }
    if (records.empty() && found.empty()) return {};
    std::string message = "recover: ";
    if (!records.empty()) message += recordsText + (found.empty() ? "" : "; ");
    if (!found.empty())
      message += std::to_string(found.size()) +
                 " leftover(s) of interrupted operations could not be removed or checked: " +
                 joined(found);
    return fail(ErrorCode::Incomplete, message + "; the next recover() tries again");
  });
}

}  // namespace dms::webdav
