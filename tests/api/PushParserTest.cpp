#include "api/PushParser.h"

#include <gtest/gtest.h>

namespace ambita::api {
namespace {

TEST(PushParserTest, AcceptsDocumentedBody) {
  auto m = PushParser::parse(R"({"orderCollectionId": 1234567, "reference": "assignment-2024-117",
      "status": "UPDATED", "technicalReference": "dms-case-8812"})");
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->orderCollectionId, 1234567);
  EXPECT_EQ(m->status, "UPDATED");
  EXPECT_EQ(m->reference, "assignment-2024-117");
  EXPECT_EQ(m->technicalReference, "dms-case-8812");
}

TEST(PushParserTest, AcceptsOlderOrderIdAndNumericStrings) {
  auto m = PushParser::parse(R"({"orderId": "1234567", "status": {"code": "FINISHED"}})");
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->orderCollectionId, 1234567);
  EXPECT_EQ(m->status, "FINISHED");
  auto both = PushParser::parse(R"({"orderCollectionId": 7, "orderId": 8})");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->orderCollectionId, 7);
  auto unknown = PushParser::parse(R"({"orderCollectionId": 7, "status": "WEIRD"})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, "WEIRD");
}

TEST(PushParserTest, RejectsWithClearMessages) {
  struct Case {
    const char* body;
    const char* expected;
  } cases[] = {
      {"not json", "push message: malformed JSON"},
      {"[1]", "expected an object"},
      {R"({"status": "NEW"})", "neither orderCollectionId nor orderId given"},
      {R"({"orderCollectionId": "abc"})", "orderCollectionId: expected an integer"},
      {R"({"orderCollectionId": true})", "orderCollectionId: expected an integer"},
      {R"({"orderId": -4})", "orderId: must be a positive integer"},
      {R"({"orderCollectionId": 1.5})", "orderCollectionId: expected an integer"},
  };
  for (const auto& c : cases) {
    auto m = PushParser::parse(c.body);
    ASSERT_FALSE(m) << c.body;
    EXPECT_EQ(m.error().code, dms::ErrorCode::InvalidArgument);
    EXPECT_NE(m.error().message.find(c.expected), std::string::npos)
        << c.body << " -> " << m.error().message;
  }
}

}  // namespace
}  // namespace ambita::api
