// Products and create-order validation of the sandbox.
#include <gtest/gtest.h>

#include "SandboxTestUtil.h"

namespace dms::test {
namespace {

class SandboxApi : public ::testing::Test {
 protected:
  RawReply get(const std::string& target) {
    return rawRequest(sandbox_, "GET", target, "", token_);
  }
  RawReply post(const std::string& target, const std::string& body) {
    return rawRequest(sandbox_, "POST", target, body, token_);
  }

  SandboxProcess sandbox_;
  std::string token_ = sandbox_.passwordToken();
};

Poco::JSON::Object::Ptr findProduct(const Poco::JSON::Array::Ptr& products,
                                    const std::string& code) {
  for (std::size_t i = 0; i < products->size(); ++i)
    if (products->getObject(static_cast<unsigned>(i))->getValue<std::string>("code") == code)
      return products->getObject(static_cast<unsigned>(i));
  return nullptr;
}

TEST_F(SandboxApi, InfolandHasTheMeglerpakkeWithItsChildren) {
  RawReply reply = get("/kode/v1/products?municipality=9999");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto products = parseArray(reply.body);
  auto package = findProduct(products, "WI99990033");
  ASSERT_TRUE(package);
  EXPECT_EQ(package->getValue<std::string>("name"), "Meglerpakke");
  EXPECT_EQ(package->getObject("type")->getValue<std::string>("code"), "PACKAGE");
  EXPECT_EQ(package->getObject("inputType")->getValue<std::string>("code"), "CADASTRE");
  EXPECT_DOUBLE_EQ(package->getObject("price")->getValue<double>("salesPriceNet"), 1650.4);
  auto children = package->getArray("children");
  ASSERT_TRUE(children);
  ASSERT_GE(children->size(), 3u);
  EXPECT_EQ(children->getObject(0)->getValue<std::string>("code"), "WI99990900");
  EXPECT_EQ(children->getObject(0)->getValue<std::string>("name"), "Godkjente bygningstegninger");
  // Every child is itself a listed product.
  for (std::size_t i = 0; i < children->size(); ++i)
    EXPECT_TRUE(findProduct(
        products, children->getObject(static_cast<unsigned>(i))->getValue<std::string>("code")));
}

TEST_F(SandboxApi, TromsoHasAMapProduct) {
  auto products = parseArray(get("/kode/v1/products?municipality=5401").body);
  auto map = findProduct(products, "WI54010010");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->getObject("inputType")->getValue<std::string>("code"), "MAP");
}

TEST_F(SandboxApi, MalformedMunicipalityIs400UnknownIsEmpty) {
  RawReply bad = get("/kode/v1/products?municipality=99a9");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(parseObject(bad.body)->getValue<std::string>("message").find("99a9"),
            std::string::npos);
  EXPECT_EQ(get("/kode/v1/products?municipality=301").status, 400);
  EXPECT_EQ(get("/kode/v1/products").status, 400);
  RawReply unknown = get("/kode/v1/products?municipality=0301");
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(parseArray(unknown.body)->size(), 0u);
}

TEST_F(SandboxApi, CadastreOrderIsNewWithoutAssets) {
  RawReply reply = post("/kode/v1/orders/cadastre", cadastreBody({"WI99990033"}));
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto order = parseObject(reply.body);
  EXPECT_EQ(order->getValue<std::int64_t>("id"), 1000001);
  EXPECT_EQ(order->getValue<std::string>("status"), "NEW");
  auto supplierOrder = order->getArray("orders")->getObject(0);
  EXPECT_EQ(supplierOrder->getValue<std::string>("technicalReference"), "dms-case-8812");
  EXPECT_EQ(supplierOrder->getArray("assets")->size(), 0u);
  auto lines = supplierOrder->getArray("orderLines");
  ASSERT_EQ(lines->size(), 5u);  // the package line plus its four children
  const auto packageId = lines->getObject(0)->getValue<std::int64_t>("id");
  EXPECT_EQ(lines->getObject(0)->getValue<std::string>("productType"), "PACKAGE");
  for (unsigned i = 1; i < lines->size(); ++i) {
    EXPECT_EQ(lines->getObject(i)->getValue<std::int64_t>("packageLineId"), packageId);
    EXPECT_EQ(lines->getObject(i)->getArray("assets")->size(), 0u);
  }
  // Ids of the three levels are distinct; the next order gets the next collection id.
  EXPECT_NE(supplierOrder->getValue<std::int64_t>("id"), order->getValue<std::int64_t>("id"));
  EXPECT_NE(packageId, supplierOrder->getValue<std::int64_t>("id"));
  auto next = parseObject(post("/kode/v1/orders/cadastre", cadastreBody({"WI99990400"})).body);
  EXPECT_EQ(next->getValue<std::int64_t>("id"), 1000002);
  // And GET returns the same order.
  RawReply fetched = get("/kode/v1/orders/1000001");
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(parseObject(fetched.body)->getValue<std::string>("reference"), "assignment-2024-117");
  EXPECT_EQ(get("/kode/v1/orders/999").status, 404);
  EXPECT_EQ(get("/kode/v1/orders/abc").status, 400);
}

TEST_F(SandboxApi, ShareAndMapOrdersAreAccepted) {
  RawReply share = post("/kode/v1/orders/share",
                        R"({"orderData":{"organizationNumber":"912345678","shareNumber":"17"},
                            "products":[{"code":"WI99990500"}],"reference":"r-share"})");
  EXPECT_EQ(share.status, 200) << share.body;
  RawReply map = post("/kode/v1/orders/map",
                      R"({"orderData":{"spatialReference":"25833","geometry":{"type":"Polygon",
                          "coordinates":[[[650000,7730000],[650100,7730000],[650100,7730100],[650000,7730000]]]}},
                          "products":[{"code":"WI54010010","data":{"system":"UTM"}}],"reference":"r-map"})");
  ASSERT_EQ(map.status, 200) << map.body;
  EXPECT_EQ(parseObject(map.body)->getArray("orders")->getObject(0)->getValue<std::string>(
                "supplierName"),
            "Tromsø Kommune - demo");
}

struct BadOrder {
  std::string kind;
  std::string body;
  std::string expected;  // substring of the error message
};

TEST_F(SandboxApi, InvalidOrdersGet400NamingTheField) {
  const std::string products = R"("products":[{"code":"WI99990033"}],"reference":"r")";
  const std::vector<BadOrder> cases = {
      {"cadastre", "not json", "body: not a JSON object"},
      {"cadastre", R"({"orderData":{"cadastre":"9999-1-1"},)" + products + "}",
       "orderData.cadastre: expected knr-gnr-bnr-fnr-snr, got '9999-1-1'"},
      {"cadastre", R"({"orderData":{"cadastre":"9999-1-x-0-0"},)" + products + "}",
       "orderData.cadastre: expected knr-gnr-bnr-fnr-snr"},
      {"cadastre",
       R"({"orderData":{"cadastre":"9999-1-1-0-0","address":"Infoveien 1 Infoland"},)" + products +
           "}",
       "orderData.address: expected 'street, NNNN place'"},
      {"cadastre", R"({"orderData":{"cadastre":"9999-1-1-0-0"},"products":[],"reference":"r"})",
       "products: required"},
      {"cadastre",
       R"({"orderData":{"cadastre":"9999-1-1-0-0"},"products":[{"code":"WI99990033"}]})",
       "reference: required"},
      {"cadastre",
       R"({"orderData":{"cadastre":"9999-1-1-0-0"},"products":[{"code":"WI99990033"},{"code":"WI12340000"}],"reference":"r"})",
       "products[1].code: unknown product 'WI12340000'"},
      {"cadastre",
       R"({"orderData":{"cadastre":"5401-1-1-0-0"},"products":[{"code":"WI99990033"}],"reference":"r"})",
       "products[0].code: 'WI99990033' is not a product of municipality 5401"},
      {"cadastre",
       R"({"orderData":{"cadastre":"9999-1-1-0-0"},"products":[{"code":"WI99990500"}],"reference":"r"})",
       "needs a share order"},
      {"share",
       R"({"orderData":{"organizationNumber":"12345","shareNumber":"1"},)" + products + "}",
       "orderData.organizationNumber: expected 9 digits, got '12345'"},
      {"share", R"({"orderData":{"organizationNumber":"912345678"},)" + products + "}",
       "orderData.shareNumber: required"},
      {"map",
       R"({"orderData":{"spatialReference":"25833","geometry":{"type":"Point","coordinates":[1,2]}},"products":[{"code":"WI54010010"}],"reference":"r"})",
       "orderData.geometry.type: expected 'Polygon'"},
      {"map",
       R"({"orderData":{"spatialReference":"25833","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}},"products":[{"code":"WI54010010"}],"reference":"r"})",
       "orderData.geometry.coordinates[0]: ring is not closed"},
      {"map",
       R"({"orderData":{"spatialReference":"4326","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},"products":[{"code":"WI54010010"}],"reference":"r"})",
       "orderData.spatialReference: expected \"25832\" or \"25833\", got '4326'"},
      {"parcel", R"({"orderData":{},)" + products + "}",
       "order kind: expected cadastre, share or map"},
  };
  for (const auto& c : cases) {
    RawReply reply = post("/kode/v1/orders/" + c.kind, c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    auto json = parseObject(reply.body);
    EXPECT_EQ(json->getValue<std::string>("error"), "validation_failed");
    EXPECT_NE(json->getValue<std::string>("message").find(c.expected), std::string::npos)
        << "expected '" << c.expected << "' in " << reply.body;
  }
  // Nothing was created by the rejected requests.
  EXPECT_EQ(sandbox_.control("GET", "/_sandbox/orders").extract<Poco::JSON::Array::Ptr>()->size(),
            0u);
}

TEST_F(SandboxApi, PricesQuoteEachProductAsAnOrderOfThemRecords) {
  // No reference: a price request is not an order.
  RawReply quote = post("/kode/v1/prices/cadastre",
                        R"({"orderData":{"address":"Infoveien 1, 9999 Infoland",
                            "cadastre":"9999-1-1-0-0"},
                            "products":[{"code":"WI99990033"},{"code":"WI99990400"}]})");
  ASSERT_EQ(quote.status, 200) << quote.body;
  auto prices = parseArray(quote.body);
  ASSERT_EQ(prices->size(), 2u);
  EXPECT_EQ(prices->getObject(0)->getValue<std::string>("code"), "WI99990033");
  EXPECT_DOUBLE_EQ(prices->getObject(0)->getObject("price")->getValue<double>("salesPriceNet"),
                   1650.4);
  EXPECT_DOUBLE_EQ(prices->getObject(0)->getObject("price")->getValue<double>("salesPriceVat"),
                   2063.0);
  EXPECT_EQ(prices->getObject(1)->getValue<std::string>("code"), "WI99990400");
  EXPECT_DOUBLE_EQ(prices->getObject(1)->getObject("price")->getValue<double>("salesPriceNet"),
                   180.0);
  // Quoting created nothing.
  EXPECT_EQ(sandbox_.control("GET", "/_sandbox/orders").extract<Poco::JSON::Array::Ptr>()->size(),
            0u);
  // The order of the same products records the quoted sums.
  auto order = parseObject(
      post("/kode/v1/orders/cadastre", cadastreBody({"WI99990033", "WI99990400"})).body);
  EXPECT_DOUBLE_EQ(order->getValue<double>("priceNet"), 1650.4 + 180.0);
  EXPECT_DOUBLE_EQ(order->getValue<double>("priceVat"), 2063.0 + 225.0);
}

TEST_F(SandboxApi, PricesAreValidatedLikeOrders) {
  RawReply badCadastre =
      post("/kode/v1/prices/cadastre",
           R"({"orderData":{"cadastre":"9999-1-1"},"products":[{"code":"WI99990033"}]})");
  EXPECT_EQ(badCadastre.status, 400);
  EXPECT_NE(badCadastre.body.find("orderData.cadastre"), std::string::npos) << badCadastre.body;
  RawReply wrongKind = post("/kode/v1/prices/share", cadastreBody({"WI99990033"}));
  EXPECT_EQ(wrongKind.status, 400);
  EXPECT_NE(wrongKind.body.find("orderData.organizationNumber"), std::string::npos)
      << wrongKind.body;
  RawReply unknown = post("/kode/v1/prices/cadastre", cadastreBody({"WI12340000"}));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("products[0].code"), std::string::npos) << unknown.body;
  EXPECT_EQ(post("/kode/v1/prices/atlas", cadastreBody({"WI99990033"})).status, 400);
  EXPECT_EQ(get("/kode/v1/prices/cadastre").status, 405);
  EXPECT_EQ(
      rawRequest(sandbox_, "POST", "/kode/v1/prices/cadastre", cadastreBody({"WI99990033"})).status,
      401);
}

TEST_F(SandboxApi, UnknownPathsAndWrongMethodsAreRejected) {
  EXPECT_EQ(get("/kode/v1/nothing").status, 404);
  EXPECT_EQ(rawRequest(sandbox_, "GET", "/authentication/v2/token").status, 405);
  EXPECT_EQ(rawRequest(sandbox_, "GET", "/_sandbox/unknown").status, 404);
}

}  // namespace
}  // namespace dms::test
