#include "api/ModelParser.h"

#include <gtest/gtest.h>

namespace ambita::api {
namespace {

dms::Result<OrderCollection> order(const std::string& text) {
  auto json = ModelParser::parseJson(text);
  if (!json) return json.error();
  return ModelParser::orderCollection(*json);
}

dms::Result<std::vector<Product>> products(const std::string& text) {
  auto json = ModelParser::parseJson(text);
  if (!json) return json.error();
  return ModelParser::products(*json);
}

// The newer generation, as in the API guide: strings, dd.MM.yyyy dates, line-level assets.
const char* kNewer = R"({"id": 1234567, "status": "PROGRESS", "priceNet": 1650.4, "priceVat": 2063,
 "dateOrdered": "21.02.2021 13:26:52", "dateStatus": "21.02.2021 13:27:54",
 "orders": [{"id": 2640649, "supplierName": "Infoland Kommune - demo", "user": "Ola Nordmann",
   "technicalReference": "dms-case-8812",
   "assets": [{"id": "d2f48dk9d267a86d2858244d0c2c1937", "name": "Reguleringskart æøå.pdf",
     "filename": "Meglerpakke/kart.pdf", "downloadUrl": "https://beta-api.ambita.com/shopping/v2/assets/d2f",
     "assetStatus": "OK", "productCategory": "PLAN_KART_REGULERING"}],
   "orderLines": [{"id": 11603163, "status": "FINISHED", "product": "WI99990033",
       "productName": "Meglerpakke", "productType": "PACKAGE", "mediaType": "Datafil",
       "delivery": "Elektronisk", "priceNet": 1650.4, "priceVat": 2063, "dateStatus": "21.02.2021"},
     {"id": 11603164, "status": "SOMETHING_NEW", "product": "WI99990900",
       "productName": "Godkjente bygningstegninger", "productType": "NORMAL", "priceNet": 0,
       "priceVat": 0, "dateStatus": "21.02.2021", "packageLineId": 11603163,
       "assets": [{"id": "a2", "name": "", "filename": "", "downloadUrl": "https://x/a2",
                   "assetStatus": "DELETED", "productCategory": "NY_KATEGORI"}]}]}]})";

// The older generation: statuses and productType as objects, ISO-like dates, numbers as strings.
const char* kOlder = R"({"id": "1234568", "status": {"code": "NEW", "name": "Ny"},
 "dateOrdered": "2021-01-28T09:10:15+0100",
 "orders": [{"id": "2640650", "assets": [],
   "orderLines": [{"id": 11603170, "status": {"code": "NEW", "name": "Ny"},
      "product": "WI99990900", "productType": {"code": "1", "name": "Pakke"},
      "priceNet": "120.5", "priceVat": "150.63"},
    {"id": "11603171", "status": {"code": "PROGRESS"}, "productType": {"code": "0"}}]}]})";

TEST(ModelParserTest, ParsesNewerGeneration) {
  auto o = order(kNewer);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->id, 1234567);
  EXPECT_EQ(o->status, "PROGRESS");
  EXPECT_DOUBLE_EQ(*o->priceNet, 1650.4);
  EXPECT_EQ(o->dateOrdered, "21.02.2021 13:26:52");
  ASSERT_EQ(o->orders.size(), 1u);
  const auto& s = o->orders[0];
  EXPECT_EQ(s.id, 2640649);
  EXPECT_EQ(s.technicalReference, "dms-case-8812");
  ASSERT_EQ(s.assets.size(), 1u);
  EXPECT_EQ(s.assets[0].name, "Reguleringskart æøå.pdf");
  EXPECT_EQ(s.assets[0].status, "OK");
  EXPECT_EQ(s.assets[0].productCategory, "PLAN_KART_REGULERING");
  ASSERT_EQ(s.orderLines.size(), 2u);
  EXPECT_EQ(s.orderLines[0].productType, "PACKAGE");
  EXPECT_FALSE(s.orderLines[0].packageLineId.has_value());
  EXPECT_EQ(s.orderLines[1].status, "SOMETHING_NEW");  // unknown statuses are kept
  EXPECT_EQ(*s.orderLines[1].packageLineId, 11603163);
  EXPECT_EQ(s.orderLines[1].dateStatus, "21.02.2021");
  ASSERT_EQ(s.orderLines[1].assets.size(), 1u);
  EXPECT_EQ(s.orderLines[1].assets[0].status, "DELETED");
  EXPECT_EQ(s.orderLines[1].assets[0].productCategory, "NY_KATEGORI");
}

TEST(ModelParserTest, ParsesOlderGeneration) {
  auto o = order(kOlder);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->id, 1234568);  // numeric string accepted
  EXPECT_EQ(o->status, "NEW");
  EXPECT_EQ(o->dateOrdered, "2021-01-28T09:10:15+0100");
  EXPECT_EQ(o->dateStatus, "");
  const auto& lines = o->orders.at(0).orderLines;
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].status, "NEW");
  EXPECT_EQ(lines[0].productType, "PACKAGE");  // "1"
  EXPECT_EQ(lines[1].productType, "NORMAL");   // "0"
  EXPECT_EQ(lines[1].id, 11603171);
  EXPECT_DOUBLE_EQ(*lines[0].priceVat, 150.63);
  EXPECT_TRUE(lines[0].assets.empty());
  EXPECT_FALSE(lines[1].priceNet.has_value());
}

TEST(ModelParserTest, MinimalOrderHasDefaults) {
  auto o = order(R"({"id": 5})");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->id, 5);
  EXPECT_TRUE(o->orders.empty());
  EXPECT_FALSE(o->priceNet.has_value());
}

TEST(ModelParserTest, ErrorsNameTheJsonPath) {
  auto bad = order(
      R"({"id": 1, "orders": [{"id": 2, "orderLines": [{"id": 3}, {"id": 4}, {"id": 5,
         "assets": [{"id": "ok"}, {"id": {"x": 1}}]}]}]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(bad.error().message.find("orders[0].orderLines[2].assets[1].id: expected a string"),
            std::string::npos)
      << bad.error().message;

  auto missing = order(R"({"orders": []})");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("id: missing"), std::string::npos);

  auto lineId = order(R"({"id": 1, "orders": [{"id": 2, "orderLines": [{"id": "12a"}]}]})");
  ASSERT_FALSE(lineId);
  EXPECT_NE(lineId.error().message.find("orders[0].orderLines[0].id: expected an integer"),
            std::string::npos)
      << lineId.error().message;

  auto notArray = order(R"({"id": 1, "orders": {"id": 2}})");
  ASSERT_FALSE(notArray);
  EXPECT_NE(notArray.error().message.find("orders: expected an array, got an object"),
            std::string::npos)
      << notArray.error().message;

  auto price = order(R"({"id": 1, "priceNet": "gratis"})");
  ASSERT_FALSE(price);
  EXPECT_NE(price.error().message.find("priceNet: expected a number"), std::string::npos);
}

TEST(ModelParserTest, MalformedJsonIsReported) {
  auto bad = ModelParser::parseJson(R"({"id": 1, "orders": [)");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("malformed JSON"), std::string::npos);
  auto top = order("[1, 2]");
  ASSERT_FALSE(top);
  EXPECT_NE(top.error().message.find("expected an object, got an array"), std::string::npos);
}

TEST(ModelParserTest, ParsesProducts) {
  auto p = products(R"([{"code": "WI99990033", "name": "Meglerpakke", "description": "d",
    "delivery": {"code": "DIGITAL", "name": "Elektronisk"},
    "inputType": {"code": "CADASTRE", "name": "Matrikkel"},
    "price": {"salesPriceNet": 1650.4, "salesPriceVat": "2063.0"},
    "status": {"code": "ACTIVE", "name": "Aktivt"}, "type": {"code": "PACKAGE", "name": "Pakke"},
    "children": [{"code": "WI99990900", "name": "Godkjente bygningstegninger"}, "WI99990901"]},
   {"code": "WI54010001", "inputType": "MAP", "type": "NORMAL"}])");
  ASSERT_TRUE(p) << p.error().describe();
  ASSERT_EQ(p->size(), 2u);
  const auto& m = (*p)[0];
  EXPECT_EQ(m.code, "WI99990033");
  EXPECT_EQ(m.inputType.code, "CADASTRE");
  EXPECT_EQ(m.inputType.name, "Matrikkel");
  EXPECT_DOUBLE_EQ(*m.salesPriceVat, 2063.0);
  ASSERT_EQ(m.children.size(), 2u);
  EXPECT_EQ(m.children[1].code, "WI99990901");
  EXPECT_EQ((*p)[1].inputType.code, "MAP");
  EXPECT_FALSE((*p)[1].salesPriceNet.has_value());

  auto bad = products(R"([{"code": "A"}, {"name": "no code"}])");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("[1].code: missing"), std::string::npos)
      << bad.error().message;
}

TEST(ModelParserTest, ParsesTokenAnswers) {
  auto json = ModelParser::parseJson(
      R"({"access_token": "abc", "token_type": "Bearer", "expires_in": "3600",
          "refresh_token": "r1", "scope": ["kode.order.write", "kode.order.read"]})");
  ASSERT_TRUE(json);
  auto t = ModelParser::token(*json);
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(t->accessToken, "abc");
  EXPECT_EQ(t->expiresIn.count(), 3600);
  EXPECT_EQ(t->scope.size(), 2u);

  auto spaced =
      ModelParser::token(*ModelParser::parseJson(R"({"access_token": "abc", "scope": "a b"})"));
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->scope.size(), 2u);

  auto none = ModelParser::token(*ModelParser::parseJson(R"({"token_type": "Bearer"})"));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("access_token: missing"), std::string::npos);
}

// A token answer can be as big as any answer (32 MiB); a token is sent in a header of every
// call and kept after it is replaced, so an absurd one is refused, naming the field only.
TEST(ModelParserTest, RefusesTokensNoServerWouldTake) {
  const auto answer = [](const std::string& access, const std::string& refresh) {
    return ModelParser::token(*ModelParser::parseJson(
        R"({"access_token": ")" + access + R"(", "refresh_token": ")" + refresh + R"("})"));
  };
  const std::string longest(ModelParser::kMaxTokenBytes, 'a');
  ASSERT_TRUE(answer(longest, longest));
  const std::string tooLong(ModelParser::kMaxTokenBytes + 1, 'a');
  const auto access = answer(tooLong, "r");
  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().message, "token answer: access_token: longer than 65536 bytes");
  const auto refresh = answer("a", tooLong);
  ASSERT_FALSE(refresh);
  EXPECT_EQ(refresh.error().message, "token answer: refresh_token: longer than 65536 bytes");
}

TEST(ModelParserTest, SummarisesErrorBodies) {
  EXPECT_EQ(ModelParser::errorSummary(R"({"error":"invalid_grant","error_description":"bad"})"),
            "invalid_grant: bad");
  EXPECT_EQ(ModelParser::errorSummary(R"({"message":"cadastre must be knr-gnr-bnr-fnr-snr"})"),
            "cadastre must be knr-gnr-bnr-fnr-snr");
  EXPECT_EQ(ModelParser::errorSummary("Bad\nGateway"), "Bad Gateway");
}

// Found by tests/fuzz/fuzz_token_answer: a JSON error field with an escaped newline made a
// two-line summary, so a server could forge a log line.
TEST(ModelParserTest, ErrorSummaryIsOneLineForJsonBodiesToo) {
  EXPECT_EQ(ModelParser::errorSummary(R"({"message":"cad \nmu knr-r-snr"})"), "cad  mu knr-r-snr");
  EXPECT_EQ(ModelParser::errorSummary(
                R"({"error":"a\r\n2026-01-01 INFO forged","error_description":"\t"})"),
            "a  2026-01-01 INFO forged:  ");
}

}  // namespace
}  // namespace ambita::api
