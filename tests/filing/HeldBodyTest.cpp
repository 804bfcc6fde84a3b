// HeldBody: a download body held whole for a put that must be able to read it again. Within the
// memory limit it is held in memory, beyond it in the spool file; either way the content is the
// body's bytes exactly, seekable, and a failed body is never held.

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "filing/HeldBody.h"
#include "support/TempDir.h"

namespace ambita::test {
namespace {

using filing::HeldBody;

constexpr std::size_t kLimit = 100 * 1000;

/// Serves `bytes` as a download body, declaring its length or not; `cutAfter`: the connection
/// ends after so many bytes (a body cut short when the length was declared).
class ServedBody {
 public:
  ServedBody(std::string bytes, bool declared, std::optional<std::size_t> cutAfter = {})
      : bytes_(std::move(bytes)),
        served_(cutAfter ? bytes_.substr(0, *cutAfter) : bytes_),
        buffer_(4096),
        body_(
            [this](char* into, std::size_t size) {
              return static_cast<std::size_t>(
                  served_.rdbuf()->sgetn(into, static_cast<std::streamsize>(size)));
            },
            buffer_,
            {declared ? std::optional<std::uint64_t>(bytes_.size()) : std::nullopt, 1ULL << 40},
            [] { return false; }, "download test", sha256_) {}
  api::DownloadBody& body() { return body_; }

 private:
  std::string bytes_;
  std::istringstream served_;
  std::vector<char> buffer_;
  api::Sha256Method sha256_;
  api::DownloadBody body_;
};

std::string patterned(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

std::string readAll(std::istream& in) {
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class HeldBodyTest : public ::testing::Test {
 protected:
  dms::test::TempDir dir_{"dms-held-body"};
  std::filesystem::path spool() const { return dir_.path() / "body.part"; }

  /// Holds the body, checks its content (read twice: the second after seeking back) and
  /// returns whether it was held in memory.
  bool holdAndCheck(const std::string& bytes, bool declared) {
    ServedBody served(bytes, declared);
    auto held = HeldBody::hold(served.body(), kLimit, spool());
    EXPECT_TRUE(held.ok()) << held.error().describe();
    if (!held.ok()) return false;
    auto& content = (*held)->content();
    const auto start = content.tellg();
    EXPECT_NE(start, std::streampos(-1)) << "the content cannot tell its position";
    EXPECT_TRUE(readAll(content) == bytes) << bytes.size() << " bytes, declared " << declared;
    content.clear();
    content.seekg(start);
    EXPECT_TRUE(readAll(content) == bytes) << "read again after seeking back";
    EXPECT_TRUE(served.body().result().ok()) << "the body was read to its end";
    const bool inMemory = (*held)->inMemory();
    EXPECT_EQ(std::filesystem::exists(spool()), !inMemory);
    held->reset();
    EXPECT_FALSE(std::filesystem::exists(spool())) << "the spool file outlived its HeldBody";
    return inMemory;
  }
};

TEST_F(HeldBodyTest, BodiesWithinTheLimitAreHeldInMemory) {
  for (bool declared : {true, false}) {
    EXPECT_TRUE(holdAndCheck("", declared));
    EXPECT_TRUE(holdAndCheck(patterned(20 * 1000), declared));
    EXPECT_TRUE(holdAndCheck(patterned(kLimit), declared)) << "exactly the limit, " << declared;
  }
}

// Beyond the limit, declared or found while reading (unknown length: what was read in memory
// goes first into the file), the body is held in the spool file, byte for byte.
TEST_F(HeldBodyTest, BodiesBeyondTheLimitGoToTheSpoolFile) {
  for (bool declared : {true, false}) {
    EXPECT_FALSE(holdAndCheck(patterned(kLimit + 1), declared));
    EXPECT_FALSE(holdAndCheck(patterned(3 * kLimit + 17), declared));
  }
}

TEST_F(HeldBodyTest, ABodyCutShortIsNotHeldAndLeavesNoFile) {
  for (std::size_t size : {kLimit / 2, 3 * kLimit}) {
    ServedBody served(patterned(size), true, size / 3);
    auto held = HeldBody::hold(served.body(), kLimit, spool());
    ASSERT_FALSE(held.ok()) << size;
    EXPECT_EQ(held.error().code, dms::ErrorCode::DataLoss) << held.error().describe();
    ASSERT_TRUE(served.body().failure().has_value());
    EXPECT_NE(served.body().failure()->message.find("cut short"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(spool()));
  }
}

// The spool file cannot be made: a body beyond the limit fails naming the file; one within
// it does not need the file.
TEST_F(HeldBodyTest, AnUnusableSpoolFailsOnlyBodiesBeyondTheLimit) {
  const auto noFolder = dir_.path() / "missing" / "body.part";
  ServedBody small(patterned(kLimit), false);
  auto held = HeldBody::hold(small.body(), kLimit, noFolder);
  ASSERT_TRUE(held.ok()) << held.error().describe();
  ServedBody big(patterned(kLimit + 1), false);
  auto failed = HeldBody::hold(big.body(), kLimit, noFolder);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().describe().find(noFolder.string()), std::string::npos)
      << failed.error().describe();
}

}  // namespace
}  // namespace ambita::test
