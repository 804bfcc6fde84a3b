// The WebDAV connector against a real Apache httpd (mod_dav + mod_dav_fs) started by the test:
// deep folders, awkward names, a 200 MB streamed upload with bounded memory, metadata read back
// by curl, remove, authentication (Basic, Digest, wrong password), a server restarted in the
// middle of an upload, keep-alive reuse.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "Multistatus.h"
#include "WebDavTestHelpers.h"
#include "dms/webdav/WebDavOptions.h"
#include "support/TestStream.h"

namespace dms::test {
namespace {

using webdav::WebDavTarget;

/// Big uploads read their content in 16 KiB pieces, as a file would be read.
constexpr std::size_t kPatternChunk = 16 * 1024;

/// True if the file on disk holds exactly TestStream::pattern(size)'s bytes.
::testing::AssertionResult matchesPattern(const std::filesystem::path& file, std::uint64_t size) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ::testing::AssertionFailure() << file << " does not exist";
  std::vector<char> buffer(1 << 20);
  std::uint64_t offset = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::uint64_t>(in.gcount());
    for (std::uint64_t k = 0; k < n; ++k)
      if (buffer[k] != TestStream::patternByte(offset + k))
        return ::testing::AssertionFailure() << file << " differs at byte " << offset + k;
    offset += n;
  }
  if (offset != size)
    return ::testing::AssertionFailure()
           << file << " has " << offset << " bytes, expected " << size;
  return ::testing::AssertionSuccess();
}

std::string readAll(DocumentTarget& target, const std::string& path) {
  auto stream = target.get(path);
  if (!stream) return "<" + stream.error().describe() + ">";
  std::ostringstream out;
  out << (*stream)->rdbuf();
  return out.str();
}

long maxRssKb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

Result<EntryInfo> putString(DocumentTarget& target, const std::string& path,
                            const std::string& content, const Metadata& metadata = {},
                            PutMode mode = PutMode::CreateNew) {
  std::istringstream in(content);
  return target.put(path, in, metadata, mode);
}

class WebDavIntegration : public ::testing::Test {
 protected:
  CapturingLogger logger_;
};

TEST_F(WebDavIntegration, CreatesDeepFoldersLevelByLevel) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "deep", logger_);
  const std::string deep = "Oppdrag 117/Plan og regulering/2026/a/b/c/d";
  ASSERT_TRUE(target->ensureFolder(deep));
  EXPECT_TRUE(std::filesystem::is_directory(server.davRoot() / "deep" / deep));
  ASSERT_TRUE(target->ensureFolder(deep));  // already there
  ASSERT_TRUE(target->ensureFolder("Oppdrag 117/Plan og regulering/2026/x"));
  auto listed = target->list("Oppdrag 117/Plan og regulering/2026");
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "a");
  EXPECT_EQ((*listed)[0].type, EntryType::Folder);
  EXPECT_EQ((*listed)[1].path, "Oppdrag 117/Plan og regulering/2026/x");

  ASSERT_TRUE(putString(*target, "Oppdrag 117/file", "x"));
  auto inTheWay = target->ensureFolder("Oppdrag 117/file/sub");
  ASSERT_FALSE(inTheWay);
  EXPECT_EQ(inTheWay.error().code, ErrorCode::Conflict) << inTheWay.error().describe();
  EXPECT_NE(inTheWay.error().message.find("Oppdrag 117/file"), std::string::npos);

  // A fresh target (cold cache) on the same collection finds the existing folders.
  auto second = makeWebDavTarget(server, "deep", logger_);
  ASSERT_TRUE(second->ensureFolder(deep));
}

TEST_F(WebDavIntegration, NamesWithUtf8SpacesAndReservedCharacters) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "names", logger_);
  const std::string folder =
      "Bl\xC3\xA5"
      "b\xC3\xA6r \xC3\xB8y #1";  // "Blåbær øy #1"
  ASSERT_TRUE(target->ensureFolder(folder));
  const std::vector<std::string> names = {"kart 50% ?.pdf", "a+b=c&d.txt", "#hash", "100%",
                                          "\xC3\x86\xC3\x98\xC3\x85 \xC3\xA6\xC3\xB8\xC3\xA5.pdf"};
  for (const auto& name : names) {
    auto put = putString(*target, folder + "/" + name, "content of " + name);
    ASSERT_TRUE(put) << name << ": " << put.error().describe();
    EXPECT_EQ(put->name, name);
    EXPECT_EQ(readAll(*target, folder + "/" + name), "content of " + name);
    // Exactly this name on disk: nothing double-encoded or cut at '#'/'?'.
    EXPECT_TRUE(std::filesystem::exists(server.davRoot() / "names" / folder / name)) << name;
  }
  auto listed = target->list(folder);
  ASSERT_TRUE(listed) << listed.error().describe();
  std::vector<std::string> listedNames;
  for (const auto& e : *listed) listedNames.push_back(e.name);
  auto sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(listedNames, sorted);

  for (const auto& name : names) {
    auto st = target->stat(folder + "/" + name);
    EXPECT_TRUE(st) << name << ": " << st.error().describe();
  }
  // NFD spelling ("a" + combining ring) reaches the NFC file.
  const std::string nfd =
      "\xC3\x86\xC3\x98"
      "A\xCC\x8A \xC3\xA6\xC3\xB8"
      "a\xCC\x8A.pdf";
  auto stat = target->stat(folder + "/" + nfd);
  ASSERT_TRUE(stat) << stat.error().describe();
  EXPECT_EQ(stat->name, names.back());
}

TEST_F(WebDavIntegration, StreamsA200MegabyteUploadWithBoundedMemory) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "big", logger_);
  constexpr std::uint64_t kSize = 200ull * 1024 * 1024;
  const long before = maxRssKb();
  auto buffer = TestStream::pattern(kSize);  // not seekable: chunked transfer, never rewound
  buffer.chunkSize(kPatternChunk);
  std::istream content(&buffer);
  const auto start = std::chrono::steady_clock::now();
  auto put = target->put("big.bin", content, {{"size", "200MiB"}}, PutMode::CreateNew);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(put) << put.error().describe();
  const long growthKb = maxRssKb() - before;
  EXPECT_EQ(put->size, kSize);
  std::printf("[ figures ] 200 MiB put in %.2f s (%.0f MiB/s); peak RSS growth %ld KiB\n", seconds,
              200 / seconds, growthKb);
  // The content never sits in memory: far below the 200 MiB a buffered upload would need.
  EXPECT_LT(growthKb, 32 * 1024);
  EXPECT_TRUE(matchesPattern(server.davRoot() / "big" / "big.bin", kSize));
}

TEST_F(WebDavIntegration, MetadataRoundTripsAndIsReadableByCurl) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "meta", logger_);
  const Metadata metadata = {{"ambita.assetId", "A-123"},
                             {"ambita.title",
                              "Bl\xC3\xA5"
                              "b\xC3\xA6rsyltet\xC3\xB8y <&> \"q\""},
                             {"x_y-z", "line1\nline2\ttab"}};
  ASSERT_TRUE(putString(*target, "doc.pdf", "%PDF", metadata));
  auto read = target->readMetadata("doc.pdf");
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, metadata);
  EXPECT_TRUE(target->capabilities().nativeMetadata);

  // An independent client sees the properties in our namespace.
  int status = 0;
  const std::string xml = runCommand(
      "curl -sS -X PROPFIND -H 'Depth: 0' -H 'Content-Type: application/xml' --data "
      "'<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><allprop/></propfind>' '" +
          server.davUrl() + "meta/doc.pdf'",
      &status);
  ASSERT_EQ(status, 0) << "curl failed (is the Debian package curl installed?)";
  EXPECT_NE(xml.find("urn:ambita-dms:meta:1"), std::string::npos) << xml;
  EXPECT_NE(xml.find("m_ambita.assetId"), std::string::npos) << xml;
  auto parsed = webdav::parseMultistatus(xml, "curl PROPFIND");
  ASSERT_TRUE(parsed) << parsed.error().describe();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].metadata, metadata);

  // writeMetadata replaces the whole set.
  const Metadata replaced = {{"ambita.assetId", "A-124"}};
  ASSERT_TRUE(target->writeMetadata("doc.pdf", replaced));
  auto again = target->readMetadata("doc.pdf");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, replaced);

  // Replace keeps metadata of the new version only.
  ASSERT_TRUE(putString(*target, "doc.pdf", "%PDF-2", {{"v", "2"}}, PutMode::Replace));
  auto third = target->readMetadata("doc.pdf");
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, (Metadata{{"v", "2"}}));
  EXPECT_EQ(readAll(*target, "doc.pdf"), "%PDF-2");
}

TEST_F(WebDavIntegration, SidecarModeKeepsMetadataBesideTheFileUnlisted) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "side", logger_, "\"metadata\": \"sidecar\"");
  ASSERT_TRUE(putString(*target, "a.pdf", "x", {{"k", "v\xC3\xA5"}}));
  EXPECT_FALSE(target->capabilities().nativeMetadata);
  auto read = target->readMetadata("a.pdf");
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, (Metadata{{"k", "v\xC3\xA5"}}));
  EXPECT_EQ(rawNamesOnDisk(server, "side", ""),
            (std::vector<std::string>{".dms-meta-a.pdf.json", "a.pdf"}));
  auto listed = target->list("");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE(target->remove("a.pdf", false));
  EXPECT_TRUE(rawNamesOnDisk(server, "side", "").empty());
}

TEST_F(WebDavIntegration, RemoveDeletesTheFileAndPrunesEmptyParents) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "rm", logger_);
  ASSERT_TRUE(target->ensureFolder("a/b/c"));
  ASSERT_TRUE(target->ensureFolder("a/keep"));
  ASSERT_TRUE(putString(*target, "a/b/c/f.txt", "x", {{"k", "v"}}));
  ASSERT_TRUE(target->remove("a/b/c/f.txt", true));
  EXPECT_FALSE(std::filesystem::exists(server.davRoot() / "rm" / "a" / "b")) << logger_.text();
  EXPECT_TRUE(std::filesystem::is_directory(server.davRoot() / "rm" / "a" / "keep"));
  auto missing = target->remove("a/b/c/f.txt", false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  auto folder = target->remove("a", false);
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code, ErrorCode::Conflict);  // never a recursive DELETE
  // The pruned folders can be made again (the folder cache forgot them).
  ASSERT_TRUE(target->ensureFolder("a/b"));
  ASSERT_TRUE(putString(*target, "a/b/g.txt", "y"));
}

TEST_F(WebDavIntegration, WrongPasswordIsAClearFinalErrorWithoutTheSecret) {
  ApacheOptions options;
  options.auth = ApacheAuth::Basic;
  ApacheServer server(options);
  const std::string url = server.createCollection("auth");
  auto parsed = webdav::WebDavOptions::parse(
      "{\"url\": \"" + url + "\", \"username\": \"dms\", \"password\": \"wrong-Pa55\"}");
  ASSERT_TRUE(parsed);
  auto target = WebDavTarget::create(*parsed, logger_);
  ASSERT_TRUE(target);
  auto result = (*target)->ensureFolder("x");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Unauthenticated);
  EXPECT_NE(result.error().message.find("401"), std::string::npos) << result.error().message;
  EXPECT_EQ(result.error().message.find("wrong-Pa55"), std::string::npos);
  EXPECT_EQ(logger_.text().find("wrong-Pa55"), std::string::npos);
  EXPECT_EQ((*target)->describe().find("wrong-Pa55"), std::string::npos);

  // The right password works against the same server.
  auto good = makeWebDavTarget(server, "auth", logger_);
  ASSERT_TRUE(good->ensureFolder("x"));
  ASSERT_TRUE(putString(*good, "x/f", "ok", {{"k", "v"}}));
  EXPECT_EQ(readAll(*good, "x/f"), "ok");
  EXPECT_EQ(logger_.text().find(server.options().password), std::string::npos);
}

TEST_F(WebDavIntegration, DigestAuthentication) {
  ApacheOptions options;
  options.auth = ApacheAuth::Digest;
  ApacheServer server(options);
  auto target = makeWebDavTarget(server, "digest", logger_);
  ASSERT_TRUE(target->ensureFolder("a/b"));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(putString(*target, "a/b/f" + std::to_string(i), "digest " + std::to_string(i),
                          {{"i", std::to_string(i)}}));
  EXPECT_EQ(readAll(*target, "a/b/f3"), "digest 3");
  auto read = target->readMetadata("a/b/f4");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->at("i"), "4");
  ASSERT_TRUE(target->remove("a/b/f0", false));

  const std::string url = server.davUrl() + "digest/";
  auto wrong = webdav::WebDavOptions::parse("{\"url\": \"" + url +
                                            "\", \"username\": \"dms\", \"password\": \"nope\"}");
  ASSERT_TRUE(wrong);
  auto bad = WebDavTarget::create(*wrong, logger_);
  ASSERT_TRUE(bad);
  auto denied = (*bad)->stat("a");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::Unauthenticated);
}

TEST_F(WebDavIntegration, ServerRestartedMidUploadRetryCompletesWithoutPartialFile) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "restart", logger_);
  constexpr std::uint64_t kSize = 24ull * 1024 * 1024;
  bool sawFinalNameDuringUpload = true;
  auto buffer = TestStream::pattern(kSize);
  buffer.chunkSize(kPatternChunk).seekable().at(8ull * 1024 * 1024, [&] {
    sawFinalNameDuringUpload = std::filesystem::exists(server.davRoot() / "restart" / "r.bin");
    const auto stopping = std::chrono::steady_clock::now();
    server.stop();
    std::printf("[ figures ] Apache stopped in %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - stopping).count());
    server.start();
  });
  std::istream content(&buffer);
  auto put = target->put("r.bin", content, {{"k", "v"}}, PutMode::CreateNew);
  ASSERT_TRUE(put) << put.error().describe() << "\n" << logger_.text();
  EXPECT_FALSE(sawFinalNameDuringUpload);
  EXPECT_EQ(put->size, kSize);
  EXPECT_TRUE(matchesPattern(server.davRoot() / "restart" / "r.bin", kSize));
  // The retry was logged and no temporary of ours is left behind.
  EXPECT_NE(logger_.text().find("retry"), std::string::npos) << logger_.text();
  for (const auto& name : rawNamesOnDisk(server, "restart", ""))
    if (name != ".dms-metadata-mode") {  // the target's own record, not a leftover
      EXPECT_EQ(name.rfind(".dms-", 0), std::string::npos) << name;
    }
  auto read = target->readMetadata("r.bin");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->at("k"), "v");
}

TEST_F(WebDavIntegration, UnseekableUploadCutByRestartFailsCleanlyThenCallerRetrySucceeds) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "restart2", logger_);
  constexpr std::uint64_t kSize = 16ull * 1024 * 1024;
  auto buffer = TestStream::pattern(kSize);
  buffer.chunkSize(kPatternChunk).at(4ull * 1024 * 1024, [&] {
    server.stop();
    server.start();
  });
  std::istream content(&buffer);
  auto put = target->put("u.bin", content, {}, PutMode::CreateNew);
  ASSERT_FALSE(put);
  EXPECT_TRUE(isRetryable(put.error().code)) << put.error().describe();
  EXPECT_FALSE(std::filesystem::exists(server.davRoot() / "restart2" / "u.bin"));
  for (const auto& name : rawNamesOnDisk(server, "restart2", ""))
    EXPECT_EQ(name.rfind(".dms-", 0), std::string::npos) << name;

  auto again = TestStream::pattern(kSize);
  again.chunkSize(kPatternChunk);
  std::istream retry(&again);
  auto second = target->put("u.bin", retry, {}, PutMode::CreateNew);
  ASSERT_TRUE(second)
      << second.error().describe() << "\n"
      << logger_.text() << "\nApache:\n"
      << server.errorLogTail() << "\naccess:\n"
      << runCommand("tail -20 " +
                    (server.davRoot().parent_path().parent_path() / "access.log").string());
  EXPECT_TRUE(matchesPattern(server.davRoot() / "restart2" / "u.bin", kSize));
}

TEST_F(WebDavIntegration, ServerDownGivesUnavailableAfterRetries) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "down", logger_, "\"retries\": 2");
  server.stop();
  auto result = target->stat("x");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
  EXPECT_NE(result.error().message.find("attempt"), std::string::npos) << result.error().message;
}

TEST_F(WebDavIntegration, KeepAliveSessionsAreReusedAndBoundedUnderConcurrency) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "pool", logger_, "\"concurrency\": 3");
  ASSERT_TRUE(target->ensureFolder("f"));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(putString(*target, "f/s" + std::to_string(i), "x"));
  EXPECT_EQ(target->sessionsCreatedForTest(), 1u);  // sequential work: one connection

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string name = "f/t" + std::to_string(t) + "-" + std::to_string(i);
        if (!putString(*target, name, name, {{"t", std::to_string(t)}})) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(target->sessionsCreatedForTest(), 3u);
  auto listed = target->list("f");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 50u);
}

/// Lines of Apache's access log, once the request for `sentinel` (sent last, on the same
/// keep-alive connection as the work before it) is in: Apache logs each answer before it reads
/// the next request of that connection, so everything earlier is in too.
std::vector<std::string> accessLogUpTo(const ApacheServer& server, const std::string& sentinel) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::vector<std::string> lines;
    std::ifstream in(server.accessLogFile());
    bool sawSentinel = false;
    for (std::string line; std::getline(in, line);) {
      sawSentinel = sawSentinel || line.find(sentinel) != std::string::npos;
      lines.push_back(line);
    }
    if (sawSentinel || std::chrono::steady_clock::now() > deadline) return lines;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST_F(WebDavIntegration, NewFileInAKnownFolderCostsAtMostThreeRequests) {
  // Issue 15: PUT of the temporary, PROPPATCH of its metadata, MOVE to the final name; no
  // PROPFIND once the folder is known and the metadata mode settled.
  ApacheServer server;
  auto target = makeWebDavTarget(server, "count", logger_, "\"concurrency\": 1");
  ASSERT_TRUE(target->ensureFolder("Oppdrag 1"));
  // The first put with metadata settles the mode (marker read and written): not counted.
  ASSERT_TRUE(putString(*target, "Oppdrag 1/first.pdf", "x", {{"k", "v"}}));
  ASSERT_FALSE(target->stat("Oppdrag 1/sentinel-before-the-puts"));
  const std::size_t before = accessLogUpTo(server, "sentinel-before-the-puts").size();

  constexpr int kFiles = 10;
  for (int i = 0; i < kFiles; ++i)
    ASSERT_TRUE(putString(*target, "Oppdrag 1/file-" + std::to_string(i) + ".pdf",
                          std::string(1000 + i, 'a'), {{"k", std::to_string(i)}}));
  ASSERT_FALSE(target->stat("Oppdrag 1/sentinel-after-the-puts"));
  const auto lines = accessLogUpTo(server, "sentinel-after-the-puts");
  ASSERT_GT(lines.size(), before);

  const std::size_t requests = lines.size() - before - 1;  // without the sentinel
  EXPECT_LE(requests, 3u * kFiles) << "requests for " << kFiles << " files";
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = "file-" + std::to_string(i) + ".pdf";
    std::vector<std::string> mine;
    for (std::size_t k = before; k < lines.size(); ++k)
      if (lines[k].find(name) != std::string::npos) mine.push_back(lines[k]);
    EXPECT_LE(mine.size(), 3u) << name << ":\n" << ::testing::PrintToString(mine);
    EXPECT_EQ(readAll(*target, "Oppdrag 1/" + name), std::string(1000 + i, 'a'));
    auto metadata = target->readMetadata("Oppdrag 1/" + name);
    ASSERT_TRUE(metadata) << metadata.error().describe();
    EXPECT_EQ(*metadata, (Metadata{{"k", std::to_string(i)}}));
  }
  EXPECT_EQ(rawNamesOnDisk(server, "count", "Oppdrag 1").size(), kFiles + 1u)
      << "no temporary left behind";
}

TEST_F(WebDavIntegration, AFolderBelowAKnownOneCostsOneMkcol) {
  // Issue 15: an order's second category folder needs no PROPFIND before its MKCOL; one made
  // by someone else meanwhile is still success (MKCOL 405, then a look).
  ApacheServer server;
  auto target = makeWebDavTarget(server, "folders", logger_);
  ASSERT_TRUE(target->ensureFolder("Oppdrag 1/Plan"));
  std::filesystem::create_directory(server.davRoot() / "folders" / "Oppdrag 1" / "Kart");
  ASSERT_FALSE(target->stat("sentinel-before-the-folders"));
  const std::size_t before = accessLogUpTo(server, "sentinel-before-the-folders").size();

  ASSERT_TRUE(target->ensureFolder("Oppdrag 1/Vedtekter"));
  ASSERT_TRUE(target->ensureFolder("Oppdrag 1/Kart")) << "made by someone else: still success";
  ASSERT_FALSE(target->stat("sentinel-after-the-folders"));
  const auto lines = accessLogUpTo(server, "sentinel-after-the-folders");
  ASSERT_GT(lines.size(), before);
  std::vector<std::string> made(lines.begin() + static_cast<std::ptrdiff_t>(before),
                                lines.end() - 1);  // without the sentinel
  ASSERT_EQ(made.size(), 3u) << ::testing::PrintToString(made);
  EXPECT_NE(made[0].find("\"MKCOL "), std::string::npos) << made[0];
  EXPECT_NE(made[0].find("Vedtekter"), std::string::npos) << made[0];
  EXPECT_NE(made[1].find("\"MKCOL "), std::string::npos) << made[1];
  EXPECT_NE(made[2].find("\"PROPFIND "), std::string::npos) << made[2];
  EXPECT_TRUE(
      std::filesystem::is_directory(server.davRoot() / "folders" / "Oppdrag 1" / "Vedtekter"));
}

TEST_F(WebDavIntegration, RecoverRemovesStaleTemporaries) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "rec", logger_);
  ASSERT_TRUE(target->ensureFolder("a/b"));
  ASSERT_TRUE(putString(*target, "a/b/keep.txt", "k"));
  // Leftovers of a crashed put, as another process would have left them.
  for (const char* leftover : {"a/.dms-tmp-0123456789abcdef-x.pdf", "a/b/.dms-tmp-00ff-y"}) {
    std::ofstream(server.davRoot() / "rec" / leftover) << "partial";
  }
  auto listed = target->list("a");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);  // only "b"
  ASSERT_TRUE(target->recover());
  EXPECT_EQ(rawNamesOnDisk(server, "rec", "a"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(rawNamesOnDisk(server, "rec", "a/b"), (std::vector<std::string>{"keep.txt"}));
}

TEST_F(WebDavIntegration, FolderRemovedBehindTheCacheIsMadeAgain) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "cache", logger_);
  ASSERT_TRUE(target->ensureFolder("x/y"));
  std::filesystem::remove_all(server.davRoot() / "cache" / "x");  // someone else removed it
  auto put = putString(*target, "x/y/f", "1");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::Conflict) << put.error().describe();
  ASSERT_TRUE(target->ensureFolder("x/y"));
  ASSERT_TRUE(putString(*target, "x/y/f", "1"));
}

TEST_F(WebDavIntegration, GetStreamsAndMayOutliveItsTarget) {
  ApacheServer server;
  auto target = makeWebDavTarget(server, "get", logger_);
  const std::string content(3 * 1024 * 1024 + 17, 'g');
  ASSERT_TRUE(putString(*target, "g.bin", content));
  auto stream = target->get("g.bin");
  ASSERT_TRUE(stream) << stream.error().describe();
  target.reset();
  std::ostringstream out;
  out << (*stream)->rdbuf();
  EXPECT_EQ(out.str().size(), content.size());
  EXPECT_EQ(out.str(), content);
}

TEST_F(WebDavIntegration, TlsIsVerifiedByDefaultAndTrustsTheConfiguredCaFile) {
  ApacheOptions options;
  options.tls = true;
  ApacheServer server(options);
  const std::string url = server.createCollection("tls");

  auto untrusted = webdav::WebDavOptions::parse("{\"url\": \"" + url + "\"}");
  ASSERT_TRUE(untrusted);
  auto refused = WebDavTarget::create(*untrusted, logger_);
  ASSERT_TRUE(refused);
  auto denied = (*refused)->stat("");
  ASSERT_FALSE(denied) << "a self-signed certificate must not be accepted without caFile";
  EXPECT_EQ(denied.error().code, ErrorCode::Unavailable);
  EXPECT_NE(denied.error().message.find("after 1 attempt"), std::string::npos)
      << "certificate failures are not retried: " << denied.error().message;
  std::printf("[ note ] untrusted certificate: %s\n", denied.error().describe().c_str());

  auto trusted = webdav::WebDavOptions::parse("{\"url\": \"" + url + "\", \"caFile\": \"" +
                                              server.certificateFile().string() + "\"}");
  ASSERT_TRUE(trusted);
  auto target = WebDavTarget::create(*trusted, logger_);
  ASSERT_TRUE(target);
  ASSERT_TRUE((*target)->ensureFolder("a"));
  ASSERT_TRUE(putString(**target, "a/f.txt", "over TLS", {{"k", "v"}}));
  EXPECT_EQ(readAll(**target, "a/f.txt"), "over TLS");
  EXPECT_TRUE(std::filesystem::exists(server.davRoot() / "tls" / "a" / "f.txt"));
}

}  // namespace
}  // namespace dms::test
