// Asset downloads of the sandbox: auth, sizes, digests, withdrawn and foreign files.
#include <gtest/gtest.h>

#include "SandboxTestUtil.h"

namespace dms::test {
namespace {

class SandboxDownload : public ::testing::Test {
 protected:
  RawReply download(const std::string& assetId, const std::string& token) {
    return rawRequest(sandbox_, "GET", "/shopping/v2/assets/" + assetId, "", token);
  }
  std::string addFile(std::uint64_t size, const std::string& level = "order") {
    SandboxProcess::AssetSpec spec;
    spec.size = size;
    spec.level = level;
    return sandbox_.addAsset(order_, spec)->getValue<std::string>("id");
  }

  SandboxProcess sandbox_;
  std::string token_ = sandbox_.passwordToken();
  std::int64_t order_ = sandbox_.createDemoOrder();
};

TEST_F(SandboxDownload, RequiresTheBearerToken) {
  const std::string id = addFile(100);
  EXPECT_EQ(download(id, "").status, 401);
  EXPECT_EQ(download(id, "wrong").status, 401);
  EXPECT_EQ(download(id, token_).status, 200);
}

TEST_F(SandboxDownload, ContentHasTheAnnouncedSizeAndDigest) {
  for (std::uint64_t size : {0ull, 1ull, 1023ull, 1024ull, 65537ull, 300000ull}) {
    const std::string id = addFile(size, size % 2 ? "line" : "order");
    RawReply reply = download(id, token_);
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(reply.contentLength, static_cast<std::int64_t>(size));
    EXPECT_EQ(reply.body.size(), size);
    auto info = sandbox_.assetInfo(id);
    EXPECT_EQ(info.size, size);
    EXPECT_EQ(info.sha256, sha256Hex(reply.body)) << "size " << size;
    // The documented formula, every byte (the server copies it from a table in 1 KiB runs and
    // 64 KiB pieces, so sizes off those boundaries matter): byte i = (s + 7*i +
    // 131*floor(i/1024)) mod 256.
    const unsigned seed = static_cast<unsigned>(std::stoul(id.substr(0, 2), nullptr, 16));
    std::uint64_t wrong = 0, firstWrong = 0;
    for (std::uint64_t i = 0; i < reply.body.size(); ++i)
      if (static_cast<unsigned char>(reply.body[i]) != (seed + 7 * i + 131 * (i / 1024)) % 256 &&
          wrong++ == 0)
        firstWrong = i;
    EXPECT_EQ(wrong, 0u) << "size " << size << ": first wrong byte at " << firstWrong;
  }
}

TEST_F(SandboxDownload, SameIdGivesSameContentAcrossRuns) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  SandboxProcess::AssetSpec spec;
  spec.id = id;
  spec.size = 5000;
  sandbox_.addAsset(order_, spec);
  SandboxProcess other;
  other.addAsset(other.createDemoOrder(), spec);
  EXPECT_EQ(sandbox_.assetInfo(id).sha256, other.assetInfo(id).sha256);
}

TEST_F(SandboxDownload, WithdrawnAndUnknownFilesAre404) {
  const std::string id = addFile(10);
  sandbox_.withdraw(order_, id);
  EXPECT_EQ(sandbox_.assetInfo(id).assetStatus, "DELETED");
  RawReply reply = download(id, token_);
  EXPECT_EQ(reply.status, 404);
  EXPECT_NE(reply.body.find("withdrawn"), std::string::npos);
  EXPECT_EQ(download("ffffffffffffffffffffffffffffffff", token_).status, 404);
}

TEST_F(SandboxDownload, AddedAssetKeepsHostileNamesAndCustomUrl) {
  SandboxProcess::AssetSpec spec;
  spec.name = "../../etc/passwd æøå \"quoted\".pdf";
  spec.filename = "";
  spec.downloadUrl = "http://localhost:1/shopping/v2/assets/x";
  spec.productCategory = "PROSPEKT";
  auto asset = sandbox_.addAsset(order_, spec);
  EXPECT_EQ(asset->getValue<std::string>("name"), spec.name);
  EXPECT_EQ(asset->getValue<std::string>("filename"), "");
  EXPECT_EQ(asset->getValue<std::string>("downloadUrl"), spec.downloadUrl);
  RawReply order =
      rawRequest(sandbox_, "GET", "/kode/v1/orders/" + std::to_string(order_), "", token_);
  auto assets = parseObject(order.body)->getArray("orders")->getObject(0)->getArray("assets");
  ASSERT_EQ(assets->size(), 1u);
  EXPECT_EQ(assets->getObject(0)->getValue<std::string>("name"), spec.name);
  // A duplicate id is refused.
  SandboxProcess::AssetSpec duplicate;
  duplicate.id = asset->getValue<std::string>("id");
  EXPECT_THROW(sandbox_.addAsset(order_, duplicate), std::runtime_error);
}

TEST(SandboxForeignHost, OpenDownloadsServeWithoutTokenAndLogIt) {
  SandboxProcess foreign({"--open-downloads"});
  SandboxProcess::AssetSpec spec;
  spec.size = 777;
  const std::string id =
      foreign.addAsset(foreign.createDemoOrder(), spec)->getValue<std::string>("id");
  RawReply reply = rawRequest(foreign, "GET", "/shopping/v2/assets/" + id);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body.size(), 777u);
  auto log = foreign.requests();
  ASSERT_EQ(log->size(), 1u);
  EXPECT_FALSE(log->getObject(0)->getValue<bool>("authorization"));
  // The rest of the API still wants a token.
  EXPECT_EQ(rawRequest(foreign, "GET", "/kode/v1/products?municipality=9999").status, 401);
}

}  // namespace
}  // namespace dms::test
