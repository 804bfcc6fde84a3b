// Unit tests of dms_connector_common: path rules, NFC, bookkeeping names, errno mapping,
// metadata keys.
#include <gtest/gtest.h>

#include <cerrno>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "dms/common/BookkeepingNames.h"
#include "dms/common/ErrnoMapping.h"
#include "dms/common/MetadataRules.h"
#include "dms/common/PathRules.h"
#include "dms/common/SidecarCodec.h"
#include "dms/common/Unicode.h"

namespace dms::common {
namespace {

TEST(PathRulesTest, AcceptsOrdinaryPathsAndNormalisesToNfc) {
  EXPECT_EQ(*normalisePath("Oppdrag 117/Plan og regulering/kart.pdf", RootPolicy::Refuse),
            "Oppdrag 117/Plan og regulering/kart.pdf");
  EXPECT_EQ(*normalisePath("A\xcc\x8a"
                           "ker/o\xcc\x88",
                           RootPolicy::Refuse),
            "\xc3\x85ker/\xc3\xb6");
  EXPECT_EQ(*normalisePath("", RootPolicy::Allow), "");
  EXPECT_EQ(*normalisePath("..a/b..c/...", RootPolicy::Refuse), "..a/b..c/...");
  EXPECT_EQ(*normalisePath("100% #1 ?+ & ;", RootPolicy::Refuse), "100% #1 ?+ & ;");
}

TEST(PathRulesTest, RefusesHostilePathsNamingPathAndReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty path"},
      {"/etc/passwd", "absolute"},
      {"..", "'..'"},
      {"a/../b", "'..'"},
      {"./a", "'.'"},
      {"a//b", "empty segment"},
      {"a/", "empty segment"},
      {std::string("a\0b", 3), "NUL"},
      {"a\x01", "control character U+0001"},
      {"a\x7f", "control character U+007F"},
      {"a\xc2\x85", "control character U+0085"},
      {"a\\b", "backslash"},
      {"\xff", "not valid UTF-8"},
      {"\xc0\xaf", "not valid UTF-8"},  // overlong '/'
      {".dms-tmp-1-x", "reserved"},
      {"a/.dms-meta-x.json", "reserved"}};
  for (const auto& [path, reason] : cases) {
    auto result = normalisePath(path, RootPolicy::Refuse);
    ASSERT_FALSE(result.ok()) << testing::PrintToString(path);
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(result.error().message.find(reason), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find(quotePath(path)), std::string::npos)
        << result.error().message;
  }
}

TEST(PathRulesTest, QuotePathEscapesControlBytes) {
  EXPECT_EQ(quotePath("a\nb"), "'a\\x0Ab'");
  EXPECT_EQ(quotePath(std::string("a\0", 2)), "'a\\x00'");
  EXPECT_EQ(quotePath("æ ø"), "'æ ø'");
}

TEST(PathRulesTest, SplitJoinParentBase) {
  EXPECT_EQ(splitPath("a/b/c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(splitPath("").empty());
  EXPECT_EQ(joinPath({"a", "b"}), "a/b");
  EXPECT_EQ(joinPath({}), "");
  EXPECT_EQ(parentPath("a/b/c"), "a/b");
  EXPECT_EQ(parentPath("c"), "");
  EXPECT_EQ(baseName("a/b/c"), "c");
  EXPECT_EQ(baseName("c"), "c");
  EXPECT_EQ(childPath("", "x"), "x");
  EXPECT_EQ(childPath("a", "x"), "a/x");
  EXPECT_FALSE(normaliseName("a/b").ok());
}

TEST(UnicodeTest, NfcAndValidity) {
  EXPECT_EQ(*toNfc("e\xcc\x81"), "\xc3\xa9");
  EXPECT_FALSE(toNfc("\xed\xa0\x80").ok());  // a UTF-16 surrogate
  EXPECT_TRUE(isValidUtf8("æøå 😀"));
  EXPECT_FALSE(isValidUtf8("\xe2\x82"));
}

TEST(UnicodeTest, OneWalkOverCodePointsAndCutsThatKeepSequencesWhole) {
  std::vector<std::pair<char32_t, std::size_t>> seen;
  const auto collect = [&](char32_t cp, std::size_t offset) {
    seen.emplace_back(cp, offset);
    return true;
  };
  EXPECT_FALSE(forEachCodePoint("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", collect));  // aé€😀
  EXPECT_EQ(seen, (std::vector<std::pair<char32_t, std::size_t>>{
                      {U'a', 0}, {U'\u00e9', 1}, {U'\u20ac', 3}, {U'\U0001F600', 6}}));
  EXPECT_EQ(forEachCodePoint("ab\xff"
                             "c",
                             collect),
            std::optional<std::size_t>(2));
  int visited = 0;
  EXPECT_FALSE(forEachCodePoint("abc\xff", [&](char32_t, std::size_t) { return ++visited < 2; }));
  EXPECT_EQ(visited, 2);  // stopped before reaching the bad byte
  EXPECT_EQ(utf8Prefix("a\xc3\xa9", 2), "a");
  EXPECT_EQ(utf8Prefix("a\xc3\xa9", 3), "a\xc3\xa9");
  EXPECT_EQ(utf8Prefix("abc", 10), "abc");
}

TEST(BookkeepingNamesTest, TempNamesAreUniqueBoundedAndRecognised) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(makeTempName("kart.pdf"));
  EXPECT_EQ(seen.size(), 1000u);
  const auto name = *seen.begin();
  EXPECT_TRUE(isTempName(name));
  EXPECT_TRUE(isBookkeepingName(name));
  EXPECT_TRUE(name.ends_with("-kart.pdf")) << name;
  std::string longName;
  for (int i = 0; i < 127; ++i) longName += "\xc3\xa6";  // 254 bytes of 'æ'
  const auto bounded = makeTempName(longName);
  EXPECT_LE(bounded.size(), 255u);
  EXPECT_TRUE(isValidUtf8(bounded)) << "cut inside a UTF-8 sequence";
  EXPECT_FALSE(isTempName("kart.pdf"));
  EXPECT_FALSE(isBookkeepingName(".hidden"));
}

TEST(BookkeepingNamesTest, SidecarNamesRoundTrip) {
  EXPECT_EQ(sidecarName("kart.pdf"), ".dms-meta-kart.pdf.json");
  EXPECT_EQ(fileOfSidecar(".dms-meta-kart.pdf.json"), "kart.pdf");
  EXPECT_EQ(fileOfSidecar(".dms-meta-.json"), "");
  EXPECT_EQ(fileOfSidecar("kart.pdf"), "");
  EXPECT_TRUE(isBookkeepingName(sidecarName("x")));
  EXPECT_FALSE(isTempName(sidecarName("x")));
}

TEST(SidecarCodecTest, RoundTripsAndReadsTheOldFlatWebDavForm) {
  const Metadata metadata{
      {"ambita.assetId", "42"}, {"title", "Kart \"\xC3\xA6\"\n2"}, {"empty", ""}};
  const std::string text = encodeSidecar(metadata);
  EXPECT_NE(text.find("\"version\""), std::string::npos) << text;
  auto decoded = decodeSidecar(text, "'a/.dms-meta-x.json'");
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(*decoded, metadata);
  // What the WebDAV connector wrote before the format was shared.
  auto flat = decodeSidecar(R"({"ambita.assetId":"42","k":"v"})", "'old.json'");
  ASSERT_TRUE(flat) << flat.error().describe();
  EXPECT_EQ(*flat, (Metadata{{"ambita.assetId", "42"}, {"k", "v"}}));
}

TEST(SidecarCodecTest, DamagedSidecarsAreDataLossNamingTheSidecar) {
  for (const char* text :
       {"not json", R"({"version": 2, "metadata": {}})", R"({"version": 1, "metadata": {"k": 5}})",
        R"({"version": 1, "metadata": "x"})"}) {
    auto decoded = decodeSidecar(text, "'f/.dms-meta-x.json'");
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error().code, ErrorCode::DataLoss) << text;
    EXPECT_NE(decoded.error().message.find("'f/.dms-meta-x.json'"), std::string::npos)
        << decoded.error().message;
  }
}

TEST(ErrnoMappingTest, MapsTheUsualSuspects) {
  EXPECT_EQ(errorCodeForErrno(ENOENT), ErrorCode::NotFound);
  EXPECT_EQ(errorCodeForErrno(EEXIST), ErrorCode::AlreadyExists);
  EXPECT_EQ(errorCodeForErrno(EACCES), ErrorCode::PermissionDenied);
  EXPECT_EQ(errorCodeForErrno(EPERM), ErrorCode::PermissionDenied);
  EXPECT_EQ(errorCodeForErrno(ENOSPC), ErrorCode::InsufficientStorage);
  EXPECT_EQ(errorCodeForErrno(EDQUOT), ErrorCode::InsufficientStorage);
  EXPECT_EQ(errorCodeForErrno(ENOTDIR), ErrorCode::Conflict);
  EXPECT_EQ(errorCodeForErrno(EIO), ErrorCode::Unavailable);
  EXPECT_EQ(errorCodeForErrno(12345), ErrorCode::Internal);
  const auto error = errnoError(ENOSPC, "cannot write", "a/b.pdf");
  EXPECT_EQ(error.code, ErrorCode::InsufficientStorage);
  EXPECT_EQ(error.message, "cannot write 'a/b.pdf': No space left on device");
}

TEST(MetadataRulesTest, KeysAndValues) {
  EXPECT_TRUE(validateMetadata({{"ambita.assetId", "x"}, {"A-b_c.9", "æøå"}}, "f").ok());
  for (const std::string& key :
       std::vector<std::string>{"", "a b", "a/b", "a:b", "æ", std::string(129, 'k')}) {
    auto result = validateMetadataKey(key, "f.pdf");
    ASSERT_FALSE(result.ok()) << key;
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(result.error().message.find("'f.pdf'"), std::string::npos);
  }
  EXPECT_FALSE(validateMetadata({{"k", "\xff"}}, "f").ok());
  EXPECT_FALSE(validateMetadata({{"k", std::string("a\0b", 3)}}, "f").ok());
}

}  // namespace
}  // namespace dms::common
