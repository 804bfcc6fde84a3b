// Fault injection of the sandbox: every kind, counts, flags and the control endpoint.
#include <gtest/gtest.h>

#include <chrono>

#include <Poco/JSON/Parser.h>

#include "SandboxTestUtil.h"

namespace dms::test {
namespace {

class SandboxFault : public ::testing::Test {
 protected:
  RawReply getOrder() {
    return rawRequest(sandbox_, "GET", "/kode/v1/orders/" + std::to_string(order_), "", token_);
  }
  RawReply download() {
    return rawRequest(sandbox_, "GET", "/shopping/v2/assets/" + asset_, "", token_);
  }

  SandboxProcess sandbox_;
  std::string token_ = sandbox_.passwordToken();
  std::int64_t order_ = sandbox_.createDemoOrder();
  std::string asset_ = [this] {
    SandboxProcess::AssetSpec spec;
    spec.size = 200000;
    return sandbox_.addAsset(order_, spec)->getValue<std::string>("id");
  }();
};

TEST_F(SandboxFault, StatusForTheNextNCallsThenNormal) {
  sandbox_.addFault("getOrder", "status", 2, 502);
  EXPECT_EQ(getOrder().status, 502);
  EXPECT_EQ(getOrder().status, 502);
  EXPECT_EQ(getOrder().status, 200);
  // Other endpoints were not affected, and the log names the fault.
  auto log = sandbox_.requests();
  EXPECT_EQ(log->getObject(1)->getValue<std::string>("fault"), "status");
}

TEST_F(SandboxFault, TooManyRequestsAndUnavailableCarryRetryAfter) {
  sandbox_.addFault("products", "429", 1, 3);
  sandbox_.addFault("products", "503", 1, 2);
  RawReply first = rawRequest(sandbox_, "GET", "/kode/v1/products?municipality=9999", "", token_);
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(first.retryAfter, "3");
  RawReply second = rawRequest(sandbox_, "GET", "/kode/v1/products?municipality=9999", "", token_);
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(second.retryAfter, "2");
  EXPECT_EQ(rawRequest(sandbox_, "GET", "/kode/v1/products?municipality=9999", "", token_).status,
            200);
}

TEST_F(SandboxFault, CutBodyIsShorterThanItsContentLength) {
  sandbox_.addFault("download", "cut");
  RawReply cut = download();
  EXPECT_EQ(cut.status, 200);
  EXPECT_EQ(cut.contentLength, 200000);
  EXPECT_EQ(cut.body.size(), 100000u);
  sandbox_.addFault("getOrder", "cut");
  RawReply cutJson = getOrder();
  EXPECT_LT(static_cast<std::int64_t>(cutJson.body.size()), cutJson.contentLength);
  EXPECT_EQ(download().body.size(), 200000u);  // and then whole again
}

TEST_F(SandboxFault, SlowBodyArrivesCompleteInPieces) {
  sandbox_.addFault("download", "slow", 1, 30);
  const auto start = std::chrono::steady_clock::now();
  RawReply slow = download();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(slow.body.size(), 200000u);
  EXPECT_EQ(sha256Hex(slow.body), sandbox_.assetInfo(asset_).sha256);
  // Ten pauses of 30 ms: a functional check that the body was trickled, not a benchmark.
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
}

TEST_F(SandboxFault, MalformedJsonDoesNotParseAndMalformedFileHasWrongDigest) {
  sandbox_.addFault("getOrder", "malformed");
  RawReply broken = getOrder();
  EXPECT_EQ(broken.status, 200);
  EXPECT_EQ(static_cast<std::int64_t>(broken.body.size()), broken.contentLength);
  Poco::JSON::Parser parser;
  EXPECT_THROW(parser.parse(broken.body), Poco::Exception);
  sandbox_.addFault("download", "malformed");
  RawReply file = download();
  EXPECT_EQ(file.body.size(), 200000u);
  EXPECT_NE(sha256Hex(file.body), sandbox_.assetInfo(asset_).sha256);
}

TEST_F(SandboxFault, DropClosesWithoutAnswerAfterProcessing) {
  sandbox_.addFault("createOrder", "drop");
  RawReply dropped = rawRequest(sandbox_, "POST", "/kode/v1/orders/cadastre",
                                cadastreBody({"WI99990400"}), token_);
  EXPECT_FALSE(dropped.answered);
  EXPECT_FALSE(dropped.error.empty());
  // The order was created although nobody heard the answer (the ambiguous case).
  EXPECT_EQ(sandbox_.control("GET", "/_sandbox/orders").extract<Poco::JSON::Array::Ptr>()->size(),
            2u);
  auto log = sandbox_.requests();
  EXPECT_EQ(log->getObject(log->size() - 1)->getValue<int>("status"), 0);
}

TEST_F(SandboxFault, ExpireFaultInvalidatesTokensMidRun) {
  sandbox_.addFault("getOrder", "expire");
  EXPECT_EQ(getOrder().status, 401);
  token_ = sandbox_.passwordToken();
  EXPECT_EQ(getOrder().status, 200);
}

TEST_F(SandboxFault, CountZeroStaysUntilCleared) {
  sandbox_.addFault("token", "status", 0, 500);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(
        rawRequest(sandbox_, "POST", "/authentication/v2/token", R"({"grant_type":"password"})")
            .status,
        500);
  sandbox_.clearFaults();
  EXPECT_NO_THROW(sandbox_.passwordToken());
}

TEST_F(SandboxFault, BadFaultSpecsAreRefusedWithTheReason) {
  SandboxProcess::Reply reply =
      sandbox_.request("POST", "/_sandbox/faults", R"({"endpoint":"orders","kind":"cut"})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("fault endpoint"), std::string::npos);
  reply =
      sandbox_.request("POST", "/_sandbox/faults", R"({"endpoint":"download","kind":"explode"})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("explode"), std::string::npos);
}

TEST(SandboxFaultFlag, FaultFlagsApplyFromTheStart) {
  SandboxProcess sandbox({"--fault", "token:503:1:4", "--fault", "products:drop"});
  RawReply first = rawRequest(sandbox, "POST", "/authentication/v2/token", "{}");
  EXPECT_EQ(first.status, 503);
  EXPECT_EQ(first.retryAfter, "4");
  const std::string token = sandbox.passwordToken();
  EXPECT_FALSE(
      rawRequest(sandbox, "GET", "/kode/v1/products?municipality=9999", "", token).answered);
  EXPECT_EQ(rawRequest(sandbox, "GET", "/kode/v1/products?municipality=9999", "", token).status,
            200);
}

TEST(SandboxFaultFlag, BadFlagsStopTheProgramWithAMessage) {
  EXPECT_THROW(SandboxProcess({"--fault", "download:explode"}), std::runtime_error);
  EXPECT_THROW(SandboxProcess({"--extra-steps", "teleport"}), std::runtime_error);
  EXPECT_THROW(SandboxProcess({"--no-such-flag"}), std::runtime_error);
}

}  // namespace
}  // namespace dms::test
