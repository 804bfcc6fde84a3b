// The shared connector conformance suite (tests/conformance) run against a real Apache httpd
// with mod_dav_fs (once without authentication, once with Basic auth, once with metadata in
// sidecar files), and in auto mode against lighttpd mod_webdav, nginx dav + dav-ext and
// rclone serve webdav (tests/support/DavServer.h). Each test gets its own server process
// (CTest runs one test per process) and a fresh collection.
#include <atomic>
#include <memory>

#include "WebDavTestHelpers.h"
#include "conformance/ConnectorConformance.h"

namespace {

using dms::conformance::ConnectorConformance;
using dms::conformance::ConnectorUnderTest;
using dms::conformance::TargetInstance;
using dms::test::ApacheAuth;
using dms::test::ApacheServer;
using dms::test::DavServer;
using dms::test::DavServerKind;

/// The metadata-mode marker at the root belongs to the target, not to a put's leftovers.
std::vector<std::string> withoutModeMarker(std::vector<std::string> names) {
  std::erase(names, ".dms-metadata-mode");
  return names;
}

/// One Apache per variant per process, started on first use and stopped at exit.
std::shared_ptr<ApacheServer> serverFor(ApacheAuth auth) {
  static std::shared_ptr<ApacheServer> servers[3];
  auto& slot = servers[static_cast<int>(auth)];
  if (!slot) {
    dms::test::ApacheOptions options;
    options.auth = auth;
    slot = std::make_shared<ApacheServer>(options);
  }
  return slot;
}

ConnectorUnderTest variant(std::string name, ApacheAuth auth, std::string extra) {
  return {name, [name, auth, extra] {
            static std::atomic<int> counter{0};
            auto server = serverFor(auth);
            auto logger = std::make_shared<dms::test::CapturingLogger>();
            const std::string collection = name + "-" + std::to_string(++counter);
            TargetInstance instance;
            instance.target = dms::test::makeWebDavTarget(*server, collection, *logger, extra);
            if (auto ok = instance.target->recover(); !ok)
              throw std::runtime_error("recover: " + ok.error().describe());
            instance.teardown = [server, logger] {};
            instance.rawNames = [server, collection](const std::string& folder) {
              return withoutModeMarker(dms::test::rawNamesOnDisk(*server, collection, folder));
            };
            return instance;
          }};
}

/// One server of `kind` per process, started on first use.
std::shared_ptr<DavServer> davServerFor(DavServerKind kind) {
  static std::shared_ptr<DavServer> servers[4];
  auto& slot = servers[static_cast<int>(kind)];
  if (!slot) slot = DavServer::start(kind);
  return slot;
}

ConnectorUnderTest onServer(DavServerKind kind) {
  const std::string name = "webdav_" + dms::test::davServerName(kind);
  return {name, [name, kind] {
            static std::atomic<int> counter{0};
            auto server = davServerFor(kind);
            auto logger = std::make_shared<dms::test::CapturingLogger>();
            const std::string collection = name + "-" + std::to_string(++counter);
            TargetInstance instance;
            instance.target = dms::test::makeWebDavTargetAt(
                *server, server->createCollection(collection), *logger);
            if (auto ok = instance.target->recover(); !ok)
              throw std::runtime_error("recover: " + ok.error().describe());
            instance.teardown = [server, logger] {};
            instance.rawNames = [server, collection](const std::string& folder) {
              return withoutModeMarker(dms::test::rawNamesOnDisk(*server, collection, folder));
            };
            instance.listsDotNames = kind != DavServerKind::Nginx;
            return instance;
          }};
}

INSTANTIATE_TEST_SUITE_P(
    WebDav, ConnectorConformance,
    testing::Values(variant("webdav_plain", ApacheAuth::None, ""),
                    variant("webdav_basic", ApacheAuth::Basic, ""),
                    variant("webdav_sidecar", ApacheAuth::None, "\"metadata\": \"sidecar\""),
                    onServer(DavServerKind::Lighttpd), onServer(DavServerKind::Nginx),
                    onServer(DavServerKind::Rclone)),
    dms::conformance::connectorName);

}  // namespace
