// The WebDAV connector against every real server it is tested with (tests/support/DavServer.h:
// Apache mod_dav_fs, lighttpd mod_webdav, nginx dav + dav-ext, rclone serve webdav), on what
// differs between them: where metadata can be kept, and that a later process (a new target
// object on the same collection) finds what an earlier one wrote.
#include <gtest/gtest.h>

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

#include "WebDavTestHelpers.h"
#include "dms/filesystem/FilesystemTarget.h"

namespace dms::test {
namespace {

using webdav::WebDavTarget;

class WebDavServers : public testing::TestWithParam<DavServerKind> {
 protected:
  void SetUp() override { server_ = DavServer::start(GetParam()); }

  bool putString(WebDavTarget& target, const std::string& path, const std::string& content,
                 const Metadata& metadata) {
    std::istringstream in(content);
    auto put = target.put(path, in, metadata, PutMode::CreateNew);
    if (!put) ADD_FAILURE() << put.error().describe() << "\n" << logger_.text();
    return static_cast<bool>(put);
  }

  /// Names on disk in `folder` that are not the target's mode marker.
  std::vector<std::string> namesBesideMarker(const std::string& collection,
                                             const std::string& folder) {
    auto names = rawNamesOnDisk(*server_, collection, folder);
    names.erase(std::remove(names.begin(), names.end(), ".dms-metadata-mode"), names.end());
    return names;
  }

  /// PUTs `body` to `url` + `name` behind the connector's back (as a crashed put left it).
  void rawPut(const std::string& url, const std::string& name, const std::string& body) {
    Poco::URI uri(url + name);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    Poco::Net::HTTPRequest request("PUT", uri.getPath(), "HTTP/1.1");
    if (!server_->user().empty())
      Poco::Net::HTTPBasicCredentials(server_->user(), server_->password()).authenticate(request);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response).ignore(1 << 20);
    ASSERT_LT(response.getStatus(), 300) << "PUT " << name;
  }

  std::unique_ptr<DavServer> server_;
  CapturingLogger logger_;
};

// Issue 14: on a server without dead properties the fall-back to sidecars was decided per
// process, so a new process read no metadata for our own files: it skipped removing them (and
// counted them removed), and intent recovery filed them again as "name (2)".
TEST_P(WebDavServers, ANewProcessReadsTheMetadataAndRemovesTheFileWithItsSidecar) {
  const std::string url = server_->createCollection("archive");
  const Metadata metadata{{"ambita.assetId", "42"}, {"title", "Grunnboksutskrift \xC3\xB8"}};
  {
    auto first = makeWebDavTargetAt(*server_, url, logger_);
    ASSERT_TRUE(first->ensureFolder("Oppdrag 1"));
    ASSERT_TRUE(putString(*first, "Oppdrag 1/a.pdf", "%PDF-1", metadata));
  }
  auto second = makeWebDavTargetAt(*server_, url, logger_);
  auto read = second->readMetadata("Oppdrag 1/a.pdf");
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, metadata) << logger_.text();
  ASSERT_TRUE(second->remove("Oppdrag 1/a.pdf", false));
  EXPECT_TRUE(namesBesideMarker("archive", "Oppdrag 1").empty())
      << "left on the server: "
      << testing::PrintToString(namesBesideMarker("archive", "Oppdrag 1"));
}

// lighttpd answers a successful PROPPATCH with 204 No Content (no multistatus): that is
// success, and the properties are kept. Servers without dead properties get sidecars.
TEST_P(WebDavServers, AutoModeKeepsMetadataWhereTheServerCanAndRecordsTheChoice) {
  const std::string url = server_->createCollection("auto");
  auto target = makeWebDavTargetAt(*server_, url, logger_);
  ASSERT_TRUE(putString(*target, "a.pdf", "x", {{"k", "v"}}));
  const bool deadProperties =
      GetParam() == DavServerKind::Apache || GetParam() == DavServerKind::Lighttpd;
  EXPECT_EQ(target->capabilities().nativeMetadata, deadProperties) << logger_.text();
  const std::vector<std::string> expected =
      deadProperties ? std::vector<std::string>{"a.pdf"}
                     : std::vector<std::string>{".dms-meta-a.pdf.json", "a.pdf"};
  EXPECT_EQ(namesBesideMarker("auto", ""), expected);
  // A new target learns the mode from the marker before its first metadata request.
  auto later = makeWebDavTargetAt(*server_, url, logger_);
  auto read = later->readMetadata("a.pdf");
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, (Metadata{{"k", "v"}}));
  EXPECT_EQ(later->capabilities().nativeMetadata, deadProperties);
}

// Issue 13 item 6, crash at each step of a sidecar-mode put (PUT temporary, sidecar into place,
// MOVE the file): whatever a crash left, the next process finds no file of ours that is not
// complete, recover() leaves nothing behind (even without an in-flight record, when the
// server lists dot names), and the put done again files the asset once, with its metadata.
TEST_P(WebDavServers, EveryStepOfAnInterruptedSidecarPutIsRecovered) {
  const std::string url = server_->createCollection("steps");
  const Metadata metadata{{"ambita.assetId", "9"}};
  const std::string sidecar = ".dms-meta-a.pdf.json";
  const std::string temp = ".dms-tmp-0123456789abcdef-a.pdf";
  // Crash after the PUT of the temporary; crash after the sidecar went into place.
  for (bool sidecarWritten : {false, true}) {
    SCOPED_TRACE(sidecarWritten ? "crash before the MOVE" : "crash after the PUT");
    rawPut(url, temp, "%PDF-partial");
    // The flat form every version reads (SidecarCodec.h).
    if (sidecarWritten) rawPut(url, sidecar, R"({"ambita.assetId": "9"})");
    auto next = makeWebDavTargetAt(*server_, url, logger_, "\"metadata\": \"sidecar\"");
    auto read = next->readMetadata("a.pdf");
    ASSERT_FALSE(read) << "a sidecar without its file describes nothing";
    EXPECT_EQ(read.error().code, ErrorCode::NotFound);
    ASSERT_TRUE(next->recover());
    if (GetParam() != DavServerKind::Nginx) {  // nginx lists no dot names: the record finds them
      EXPECT_TRUE(rawNamesOnDisk(*server_, "steps", "").empty())
          << testing::PrintToString(rawNamesOnDisk(*server_, "steps", ""));
    }
    ASSERT_TRUE(putString(*next, "a.pdf", "%PDF-1", metadata));
    auto again = next->readMetadata("a.pdf");
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(*again, metadata);
    ASSERT_TRUE(next->remove("a.pdf", false));
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, WebDavServers, testing::ValuesIn(allDavServerKinds()),
                         [](const testing::TestParamInfo<DavServerKind>& info) {
                           return davServerName(info.param);
                         });

// Issue 13 item 6: the two connectors wrote different sidecar formats under the same name, so
// an archive moved from a folder to a WebDAV server (or read through both) lost its metadata.
// nginx keeps no dead properties, so the WebDAV connector keeps sidecars there; the filesystem
// connector in sidecar mode reads and writes the same folder on disk.
TEST(WebDavSidecars, AreReadByTheFilesystemConnectorAndTheOtherWayRound) {
  auto server = DavServer::start(DavServerKind::Nginx);
  CapturingLogger logger;
  const std::string url = server->createCollection("shared");
  auto folder = filesystem::FilesystemTarget::open({.root = (server->davRoot() / "shared").string(),
                                                    .metadata = filesystem::MetadataMode::Sidecar,
                                                    .fsync = false},
                                                   nullptr);
  ASSERT_TRUE(folder) << folder.error().describe();
  auto dav = makeWebDavTargetAt(*server, url, logger);

  const Metadata fromFolder{{"ambita.assetId", "7"}, {"title", "Kart \xC3\xA6"}};
  std::istringstream first("%PDF-folder");
  ASSERT_TRUE((*folder)->put("from-folder.pdf", first, fromFolder, PutMode::CreateNew));
  auto readByDav = dav->readMetadata("from-folder.pdf");
  ASSERT_TRUE(readByDav) << readByDav.error().describe();
  EXPECT_EQ(*readByDav, fromFolder);

  const Metadata fromDav{{"ambita.assetId", "8"}, {"title", "Attest \xC3\xB8"}};
  std::istringstream second("%PDF-dav");
  ASSERT_TRUE(dav->put("from-dav.pdf", second, fromDav, PutMode::CreateNew));
  auto readByFolder = (*folder)->readMetadata("from-dav.pdf");
  ASSERT_TRUE(readByFolder) << readByFolder.error().describe();
  EXPECT_EQ(*readByFolder, fromDav);
}

}  // namespace
}  // namespace dms::test
