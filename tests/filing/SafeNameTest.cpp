#include "filing/SafeName.h"

#include <gtest/gtest.h>

namespace ambita::filing {
namespace {

bool isValidSegment(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F || c == '/' || c == '\\') return false;
  return true;
}

TEST(SafeName, KeepsReadableUnicodeNames) {
  EXPECT_EQ(SafeName::segment("Reguleringsplan for Ørneveien 12 – kart.pdf"),
            "Reguleringsplan for Ørneveien 12 – kart.pdf");
  EXPECT_EQ(SafeName::segment("Bolig på Tromsø.pdf"), "Bolig på Tromsø.pdf");
}

TEST(SafeName, NormalisesToNfc) {
  // "å" as a + combining ring (NFD) becomes the single code point U+00E5.
  EXPECT_EQ(SafeName::segment("a\xCC\x8A.pdf"), "\xC3\xA5.pdf");
}

TEST(SafeName, ReplacesSeparatorsSoNothingEscapes) {
  EXPECT_EQ(SafeName::segment("../x"), "_.._x");
  EXPECT_EQ(SafeName::segment("/etc/passwd"), "_etc_passwd");
  EXPECT_EQ(SafeName::segment("a/b\\c"), "a_b_c");
  for (const char* hostile :
       {"../x", "/etc/passwd", "a/b\\c", "..", ".", "../../..", "\\\\server\\share"})
    EXPECT_TRUE(isValidSegment(SafeName::segment(hostile))) << hostile;
}

TEST(SafeName, HandlesReservedNames) {
  EXPECT_EQ(SafeName::segment("CON"), "_CON");
  EXPECT_EQ(SafeName::segment("con.pdf"), "_con.pdf");
  EXPECT_EQ(SafeName::segment("LPT9.txt"), "_LPT9.txt");
  EXPECT_EQ(SafeName::segment("COM1"), "_COM1");
  EXPECT_EQ(SafeName::segment("NUL"), "_NUL");
  EXPECT_EQ(SafeName::segment("CONSOLE.pdf"), "CONSOLE.pdf");
  EXPECT_EQ(SafeName::segment(".."), "_..");
  EXPECT_EQ(SafeName::segment("."), "_.");
}

TEST(SafeName, EmptyAndBlankNamesGetTheFallback) {
  EXPECT_EQ(SafeName::segment("", "d2f48dk9"), "d2f48dk9");
  EXPECT_EQ(SafeName::segment("   ", "asset-1"), "asset-1");
  EXPECT_EQ(SafeName::segment("", ""), "_");
}

TEST(SafeName, ReplacesControlCharacters) {
  EXPECT_EQ(SafeName::segment(std::string("a\x01"
                                          "b\nc\td\x7F"
                                          "e.pdf")),
            "a_b_c_d_e.pdf");
  EXPECT_EQ(SafeName::segment(std::string("x\0y", 3)), "x_y");
  EXPECT_EQ(SafeName::segment("bad\xFF\xFEutf8.pdf"), "bad__utf8.pdf");
}

// A name from the API must not show as something it is not: with a right-to-left override
// "Kart<U+202E>fdp.exe" shows as "Kartexe.pdf" (an executable posing as a PDF).
TEST(SafeName, ReplacesBidirectionalControls) {
  EXPECT_EQ(SafeName::segment("Kart\u202Efdp.exe"), "Kart_fdp.exe");
  EXPECT_EQ(SafeName::segment("a\u202Ab\u202Bc\u202Cd\u202De.pdf"), "a_b_c_d_e.pdf");
  EXPECT_EQ(SafeName::segment("a\u2066b\u2067c\u2068d\u2069e\u200Ef\u200Fg\u061Ch.pdf"),
            "a_b_c_d_e_f_g_h.pdf");
  EXPECT_EQ(SafeName::segment("Bolig p\u00E5 Troms\u00F8.pdf"), "Bolig p\u00E5 Troms\u00F8.pdf");
}

TEST(SafeName, TrimsTrailingDotsAndSpacesAndHidesNothing) {
  EXPECT_EQ(SafeName::segment("  kart.pdf. . "), "kart.pdf");
  EXPECT_EQ(SafeName::segment(".hidden"), "_.hidden");
}

TEST(SafeName, CapsLengthInBytesKeepingExtensionAndUtf8) {
  std::string longName;
  for (int i = 0; i < 300; ++i) longName += "æ";  // 2 bytes each
  longName += ".pdf";
  const auto safe = SafeName::segment(longName, "_", 180);
  EXPECT_LE(safe.size(), 180u);
  EXPECT_EQ(safe.substr(safe.size() - 4), ".pdf");
  // Every byte before the extension is part of a whole "æ".
  EXPECT_EQ((safe.size() - 4) % 2, 0u);
  const std::string plain(300, 'x');
  EXPECT_EQ(SafeName::segment(plain, "_", 180).size(), 180u);
}

TEST(SafeName, VariantsStayDistinctAndKeepExtension) {
  EXPECT_EQ(SafeName::variant("kart.pdf", 1), "kart.pdf");
  EXPECT_EQ(SafeName::variant("kart.pdf", 2), "kart (2).pdf");
  EXPECT_EQ(SafeName::variant("README", 3), "README (3)");
  const std::string longName = std::string(178, 'a') + ".pdf";
  const auto v = SafeName::variant(SafeName::segment(longName), 12, 180);
  EXPECT_LE(v.size(), 180u);
  EXPECT_NE(v.find(" (12).pdf"), std::string::npos);
}

// Found by tests/fuzz/fuzz_safe_name: when the extension and the " (n)" suffix filled the cap,
// variant() still kept one byte of the stem and went over maxBytes.
TEST(SafeName, VariantStaysWithinTheCapWhenTheExtensionFillsIt) {
  const std::string name = "a.verylongext123";  // a 15-byte extension
  for (std::size_t cap = 16; cap <= 22; ++cap) {
    const auto v = SafeName::variant(name, 12, cap);
    EXPECT_LE(v.size(), cap) << v;
    EXPECT_NE(v.find(" (12)"), std::string::npos) << v;
  }
  EXPECT_EQ(SafeName::variant(name, 12, 21), "a (12).verylongext123");
}

TEST(SafeName, SplitsExtensionsSensibly) {
  EXPECT_EQ(SafeName::splitExtension("a.b.pdf").second, ".pdf");
  EXPECT_EQ(SafeName::splitExtension("noext").second, "");
  EXPECT_EQ(SafeName::splitExtension(".pdf").second, "");
  EXPECT_EQ(SafeName::splitExtension("Vedtekter v. 2 og 3").second, "");
}

}  // namespace
}  // namespace ambita::filing
