#pragma once
/// Helpers shared by the WebDAV test executables: a logger that records lines (to prove no
/// secret is logged), a target factory against an ApacheServer collection, and raw access
/// to Apache's document root.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dms/Logger.h"
#include "dms/webdav/WebDavTarget.h"
#include "support/ApacheServer.h"
#include "support/CapturingLogger.h"
#include "support/DavServer.h"

namespace dms::test {

/// The "target" JSON for `url` with the server's credentials (when it uses auth) and fast
/// retries; `extra` is spliced in as more members (e.g. "\"metadata\": \"sidecar\"").
std::string webdavConfig(const ApacheServer& server, const std::string& url,
                         const std::string& extra = "");

/// The same for any DavServer (its credentials when it has any).
std::string webdavConfig(const DavServer& server, const std::string& url,
                         const std::string& extra = "");

/// A target on `url` (an existing collection of `server`); throws on error.
std::unique_ptr<webdav::WebDavTarget> makeWebDavTargetAt(const DavServer& server,
                                                         const std::string& url, Logger& logger,
                                                         const std::string& extra = "");

/// Names directly in `folder` of a DavServer's collection on disk, bookkeeping included. Sorted.
std::vector<std::string> rawNamesOnDisk(const DavServer& server, const std::string& collection,
                                        const std::string& folder);

/// A target on a fresh collection `name` of `server`. Fails the test (throws) on error.
std::unique_ptr<webdav::WebDavTarget> makeWebDavTarget(ApacheServer& server,
                                                       const std::string& name, Logger& logger,
                                                       const std::string& extra = "");

/// Names directly in <davRoot>/<collection>/<folder> on disk, bookkeeping included, without
/// mod_dav_fs's own ".DAV" property folder. Sorted.
std::vector<std::string> rawNamesOnDisk(const ApacheServer& server, const std::string& collection,
                                        const std::string& folder);

/// Runs a shell command, returning its standard output (and exit status in `status`).
std::string runCommand(const std::string& command, int* status = nullptr);

}  // namespace dms::test
