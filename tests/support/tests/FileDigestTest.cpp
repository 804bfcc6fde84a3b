// Tests of support/FileDigest, which the end-to-end tests and the sync benchmark trust to say
// whether a target holds exactly the bytes the sandbox serves.
#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "support/FileDigest.h"
#include "support/TempDir.h"

namespace dms::test {
namespace {

constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

void write(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

TEST(FileDigest, Sha256OfKnownContents) {
  TempDir dir("dms-digest-test");
  write(dir.path() / "abc", "abc");
  write(dir.path() / "empty", "");
  EXPECT_EQ(FileDigest::sha256(dir.path() / "abc"), kAbc);
  EXPECT_EQ(FileDigest::sha256(dir.path() / "empty"), kEmpty);
  // Larger than the 64 KiB buffer: the same digest as Poco's own SHA-256 of the whole content.
  std::string big(200 * 1024 + 7, 'x');
  big[150 * 1024] = 'y';
  write(dir.path() / "big", big);
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(big);
  EXPECT_EQ(FileDigest::sha256(dir.path() / "big"),
            Poco::DigestEngine::digestToHex(engine.digest()));
  EXPECT_THROW(FileDigest::sha256(dir.path() / "missing"), std::runtime_error);
}

TEST(FileDigest, TreeCountsUserFilesOnly) {
  TempDir dir("dms-digest-test");
  write(dir.path() / "a" / "one", "abc");
  write(dir.path() / "b" / "two", "abc");
  write(dir.path() / "b" / "c" / "three", "");
  write(dir.path() / "b" / ".dms-meta-two.json", "{}");
  write(dir.path() / ".DAV" / "props", "abc");
  std::filesystem::create_symlink(dir.path() / "a" / "one", dir.path() / "link");
  const std::map<std::string, int> expected = {{kAbc, 2}, {kEmpty, 1}};
  EXPECT_EQ(FileDigest::tree(dir.path(), ".dms-"), expected);
  auto withSidecar = FileDigest::tree(dir.path(), "");
  EXPECT_EQ(withSidecar.size(), 3u) << "the .dms- file counts without a skip prefix";
}

TEST(FileDigest, CompareNamesMissingAndUnexpectedFiles) {
  const std::map<std::string, int> expected = {{kAbc, 2}, {kEmpty, 1}};
  EXPECT_EQ(FileDigest::compare(expected, expected), "");
  const std::map<std::string, int> actual = {{kAbc, 1}, {"ffff0000ffff0000", 1}};
  const auto text = FileDigest::compare(expected, actual);
  EXPECT_NE(text.find("2 file(s) missing or wrong"), std::string::npos) << text;
  EXPECT_NE(text.find("1 unexpected"), std::string::npos) << text;
  EXPECT_NE(text.find("ba7816bf8f01"), std::string::npos) << text;
  EXPECT_NE(text.find("ffff0000ffff"), std::string::npos) << text;
}

}  // namespace
}  // namespace dms::test
