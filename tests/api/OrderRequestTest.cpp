#include "api/OrderRequest.h"

#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>

#include "api/ModelParser.h"

namespace ambita::api {
namespace {

Poco::JSON::Object::Ptr parse(const std::string& text) {
  auto v = ModelParser::parseJson(text);
  EXPECT_TRUE(v) << text;
  return v->extract<Poco::JSON::Object::Ptr>();
}

TEST(OrderRequestTest, BuildsCadastreOrderBody) {
  auto data = OrderRequest::cadastreData("9999-1-1-0-0", "Infoveien 1, 9999 Infoland");
  ASSERT_TRUE(data) << data.error().describe();
  auto order = OrderRequest::make(OrderKind::Cadastre, *data, {"WI99990033"}, {},
                                  "assignment-2024-117", "dms-case-8812");
  ASSERT_TRUE(order) << order.error().describe();
  auto body = OrderRequest::body(*order);
  ASSERT_TRUE(body);
  auto o = parse(*body);
  EXPECT_EQ(o->getObject("orderData")->getValue<std::string>("cadastre"), "9999-1-1-0-0");
  EXPECT_EQ(o->getObject("orderData")->getValue<std::string>("address"),
            "Infoveien 1, 9999 Infoland");
  EXPECT_EQ(o->getArray("products")->getObject(0)->getValue<std::string>("code"), "WI99990033");
  EXPECT_EQ(o->getValue<std::string>("reference"), "assignment-2024-117");
  EXPECT_EQ(o->getValue<std::string>("technicalReference"), "dms-case-8812");
  EXPECT_EQ(OrderRequest::kindName(order->kind), "cadastre");
}

TEST(OrderRequestTest, BuildsShareAndMapOrders) {
  auto share = OrderRequest::shareData("987654321", "12");
  ASSERT_TRUE(share);
  EXPECT_EQ(parse(*share)->getValue<std::string>("organizationNumber"), "987654321");

  const std::string polygon =
      R"({"type": "Polygon", "coordinates": [[[600000, 7700000], [600100, 7700000],
          [600100, 7700100], [600000, 7700000]]]})";
  auto map = OrderRequest::mapData(polygon, "25833");
  ASSERT_TRUE(map) << map.error().describe();
  auto order = OrderRequest::make(OrderKind::Map, *map, {"WI54010001"},
                                  {{"WI54010001", R"({"system": "UTM"})"}}, "ref");
  ASSERT_TRUE(order) << order.error().describe();
  auto o = parse(*OrderRequest::body(*order));
  EXPECT_EQ(o->getObject("orderData")->getValue<std::string>("spatialReference"), "25833");
  EXPECT_EQ(o->getObject("orderData")->getObject("geometry")->getValue<std::string>("type"),
            "Polygon");
  EXPECT_EQ(
      o->getArray("products")->getObject(0)->getObject("data")->getValue<std::string>("system"),
      "UTM");
  EXPECT_FALSE(o->has("technicalReference"));
}

TEST(OrderRequestTest, RejectsBadInputNamingTheField) {
  struct Case {
    dms::Result<std::string> result;
    const char* expected;
  };
  Case cases[] = {
      {OrderRequest::cadastreData("9999-1-1", "Infoveien 1, 9999 Infoland"), "cadastre:"},
      {OrderRequest::cadastreData("999-1-1-0-0", "Infoveien 1, 9999 Infoland"), "cadastre:"},
      {OrderRequest::cadastreData("9999-1-1-0-0", "Infoveien 1 9999 Infoland"), "address:"},
      {OrderRequest::cadastreData("9999-1-1-0-0", "Infoveien 1, 999 Infoland"), "address:"},
      {OrderRequest::shareData("98765432", "1"), "organizationNumber:"},
      {OrderRequest::shareData("987654321", "x"), "shareNumber:"},
      {OrderRequest::mapData("{}", "4326"), "spatialReference:"},
      {OrderRequest::mapData("{", "25832"), "geometry: malformed JSON"},
      {OrderRequest::mapData(R"({"type": "Point", "coordinates": [1, 2]})", "25832"),
       "geometry.type"},
      {OrderRequest::mapData(R"({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]})",
                             "25832"),
       "ring is not closed"},
      {OrderRequest::mapData(R"({"type": "Polygon", "coordinates": [[[0,0],[1,0],[0,0]]]})",
                             "25832"),
       "at least 4 positions"},
  };
  for (const auto& c : cases) {
    ASSERT_FALSE(c.result) << c.expected;
    EXPECT_EQ(c.result.error().code, dms::ErrorCode::InvalidArgument);
    EXPECT_NE(c.result.error().message.find(c.expected), std::string::npos)
        << c.result.error().message;
  }
  const std::string data = *OrderRequest::cadastreData("0301-100-10-0-0", "Gate 1, 0150 Oslo");
  EXPECT_NE(
      OrderRequest::make(OrderKind::Cadastre, data, {}, {}, "r").error().message.find("products:"),
      std::string::npos);
  EXPECT_NE(OrderRequest::make(OrderKind::Cadastre, data, {"WI 1"}, {}, "r")
                .error()
                .message.find("not a product code"),
            std::string::npos);
  EXPECT_NE(OrderRequest::make(OrderKind::Cadastre, data, {"A1"}, {}, "")
                .error()
                .message.find("reference: required"),
            std::string::npos);
  EXPECT_NE(OrderRequest::make(OrderKind::Cadastre, data, {"A1"}, {{"B2", "{}"}}, "r")
                .error()
                .message.find("not in the order"),
            std::string::npos);
  EXPECT_NE(OrderRequest::make(OrderKind::Cadastre, data, {"A1"}, {{"A1", "[1]"}}, "r")
                .error()
                .message.find("expected a JSON object"),
            std::string::npos);
}

TEST(OrderRequestTest, ParsesKinds) {
  EXPECT_EQ(OrderRequest::parseKind("share"), OrderKind::Share);
  EXPECT_EQ(OrderRequest::parseKind("map"), OrderKind::Map);
  EXPECT_FALSE(OrderRequest::parseKind("Cadastre").has_value());
}

}  // namespace
}  // namespace ambita::api
