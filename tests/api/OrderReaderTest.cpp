// The order answer read straight from its text (api/OrderReader, ModelParser::
// orderCollectionFromText) against the reading of the parsed tree (parseJson +
// orderCollection(Var)): the same order or the same message for every document, and malformed
// JSON reported as such even after a wrong field (a garbled answer is asked again; a wrong
// field is not). tests/fuzz/fuzz_order_json checks the same on generated input.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/ModelParser.h"
#include "api/OrderReader.h"

namespace ambita::api {
namespace {

/// Reads `text` both ways and expects the same outcome.
void expectSameReading(const std::string& text) {
  SCOPED_TRACE(text);
  const auto streamed = ModelParser::orderCollectionFromText(text);
  const auto tree = ModelParser::parseJson(text);
  ASSERT_EQ(streamed.malformed, !tree);
  if (!tree) {
    ASSERT_FALSE(streamed.value);
    EXPECT_EQ(streamed.value.error().message, tree.error().message);
    return;
  }
  const auto fromTree = ModelParser::orderCollection(*tree);
  ASSERT_EQ(streamed.value.ok(), fromTree.ok())
      << (streamed.value ? fromTree.error().message : streamed.value.error().message);
  if (fromTree)
    EXPECT_TRUE(*streamed.value == *fromTree);
  else
    EXPECT_EQ(streamed.value.error().message, fromTree.error().message);
}

TEST(OrderReaderTest, ReadsWhatTheTreeReads) {
  const std::vector<std::string> documents = {
      // Both generations, unknown fields of every shape, codes with extra keys.
      R"({"id": 1234567, "status": "PROGRESS", "priceNet": 1650.4, "priceVat": 2063,
          "reference": "oppdrag-1", "technicalReference": 17, "dateOrdered": "21.02.2021 13:26:52",
          "links": [[], {"a": [1, {"b": null}]}], "extra": {"orders": [1, 2]},
          "orders": [{"id": "2640649", "supplierName": "Infoland", "user": "Ola", "x": true,
            "assets": [{"id": "d2f48", "name": "Kart æøå.pdf", "filename": "pakke/kart.pdf",
              "downloadUrl": "https://x/d2f48", "assetStatus": {"code": "OK", "name": "Ok", "z": []},
              "productCategory": {"code": "PLAN", "extra": {"code": "no"}}}],
            "orderLines": [{"id": 11603163, "status": {"code": "FINISHED"}, "product":
              {"code": "WI99990033", "name": "Meglerpakke"}, "productType": {"code": "1"},
              "mediaType": "Datafil", "delivery": {"code": "DIGITAL", "name": "Elektronisk"},
              "priceNet": "120.5", "priceVat": " 150.63 ", "dateStatus": "21.02.2021",
              "packageLineId": "11603160", "assets": [{"id": 42, "status": "DELETED"}]},
             {"id": 11603164, "productType": "0", "productName": "Eget", "product": "P",
              "delivery": 5, "priceNet": ""}]}]})",
      R"({"id": 5})", R"({"id": 18446744073709551615})",
      R"({"id": 9223372036854775807, "orders": [{"id": -3, "orderLines": [{"id": 2.0}]}]})",
      R"({"id": 1.5})", R"({"id": 1e20})", R"({"id": true})", R"({"id": null})",
      R"({"id": " 77 "})", R"({"id": [1]})", R"({"id": {"id": 1}})",
      // Duplicate keys: the last one counts, also over an earlier wrong value.
      R"({"id": "x", "id": 7})", R"({"id": 7, "id": "x"})",
      R"({"id": 1, "orders": [{"id": "bad"}], "orders": []})",
      R"({"id": 1, "orders": [], "orders": [{"id": "bad"}]})",
      R"({"id": 1, "orders": [{"id": 2}], "orders": null})",
      R"({"id": 1, "orders": [{"id": 2}], "orders": 5})",
      R"({"id": 1, "status": {"code": "A", "name": "a"}, "status": {"name": "b"}})",
      R"({"id": 1, "status": {"code": {}}, "status": "X"})",
      R"({"id": 1, "status": {"code": 1, "code": "Y", "name": 2.5}})",
      // assetStatus wins when present, even as null; a wrong status beside it is not read.
      R"({"id": 1, "orders": [{"id": 2, "assets": [{"id": "a", "assetStatus": null,
          "status": "OK"}, {"id": "b", "status": {"code": "DELETED"}},
          {"id": "c", "assetStatus": "OK", "status": true}]}]})",
      // Several wrong fields: the first in the rules' order is named, not the first in the text.
      R"({"orders": [{"id": "bad"}]})", R"({"priceNet": "gratis", "id": "y"})",
      R"({"orders": [{"orderLines": [{"id": "x"}], "assets": [{"id": ""}]}], "id": 1})",
      R"({"id": 1, "orders": [{"id": 2, "orderLines": [{"id": 3}, {"id": 4}, {"id": 5,
          "assets": [{"id": "ok"}, {"id": {"x": 1}}]}]}]})",
      R"({"id": 1, "orders": [{"id": 2}, {"id": 3, "assets": [{"id": "a"}, {"name": "x"}]},
          {"id": "four"}]})",
      // Elements and fields of the wrong kind.
      R"({"id": 1, "orders": [1]})", R"({"id": 1, "orders": [[]]})",
      R"({"id": 1, "orders": [null]})", R"({"id": 1, "orders": [{"id": 2, "assets": ["a"]}]})",
      R"({"id": 1, "orders": {"id": 2}})", R"({"id": 1, "orders": "none"})",
      R"({"id": 1, "orders": [{"id": 2, "orderLines": {}}]})", R"({"id": 1, "status": [1]})",
      R"({"id": 1, "status": true})", R"({"id": 1, "status": {"code": []}})",
      R"({"id": 1, "status": {"name": {}}})",
      R"({"id": 1, "reference": 12.5, "dateOrdered": 20210221, "dateStatus": false})",
      R"({"id": 1, "priceNet": {}, "priceVat": 1})",
      R"({"id": 1, "orders": [{"id": 2, "orderLines": [{"id": 3, "packageLineId": 1.25}]}]})",
      R"({"id": 1, "orders": [{"id": 2, "orderLines": [{"id": 3, "priceVat": "1e999"}]}]})",
      // Not an object at the top, or nothing at all.
      "[1, 2]", "5", "\"x\"", "null", "true", "{}", "[]",
      // Malformed: reported as such even after a wrong field.
      R"({"id": "x", "orders": [)", R"({"id": 1} trailing)", "", "{\"id\": 1,}",
      "{\"id\": 1, \"deep\": " + std::string(300, '[') + std::string(300, ']') + "}"};
  for (const auto& text : documents) expectSameReading(text);
}

TEST(OrderReaderTest, MalformedJsonWinsOverAWrongField) {
  // Cut short, or garbage after a whole (wrong) object: malformed either way.
  for (const char* text : {R"({"id": "x", "orders": [)", R"({"id": "x", "orders": []} <html>)"}) {
    const auto answer = ModelParser::orderCollectionFromText(text);
    EXPECT_TRUE(answer.malformed) << text;
    ASSERT_FALSE(answer.value);
    EXPECT_NE(answer.value.error().message.find("malformed JSON"), std::string::npos)
        << answer.value.error().message;
  }
  const auto wrong = ModelParser::orderCollectionFromText(R"({"id": "x", "orders": []})");
  EXPECT_FALSE(wrong.malformed);
  ASSERT_FALSE(wrong.value);
  EXPECT_EQ(wrong.value.error().message, "order: id: expected an integer, got the string 'x'");
}

// A hostile answer listing a great many assets (32 MiB of `{"id":"1"},`, gigabytes to file) is
// refused whole, naming the bound, by both readings.
TEST(OrderReaderTest, AnOrderListingMoreEntriesThanTheBoundIsRefused) {
  const auto orderWith = [](std::size_t assets) {
    std::string text = R"({"id": 1, "orders": [{"id": 2, "assets": [)";
    for (std::size_t i = 0; i < assets; ++i)
      text += (i == 0 ? R"({"id": "a)" : R"(, {"id": "a)") + std::to_string(i) + R"("})";
    return text + "]}]}";
  };
  // The supplier order and its assets: the bound exactly.
  const auto fits = ModelParser::orderCollectionFromText(orderWith(OrderReader::kMaxEntries - 1));
  ASSERT_TRUE(fits.value) << fits.value.error().message;
  EXPECT_EQ(fits.value->orders.at(0).assets.size(), OrderReader::kMaxEntries - 1);

  const std::string tooMany = orderWith(OrderReader::kMaxEntries);
  const auto refused = ModelParser::orderCollectionFromText(tooMany);
  EXPECT_FALSE(refused.malformed);
  ASSERT_FALSE(refused.value);
  EXPECT_EQ(refused.value.error().message,
            "order: orders: more than 10000 supplier orders, order lines and assets in one "
            "order; not read (Ambita's orders hold tens)");
  expectSameReading(tooMany);
}

}  // namespace
}  // namespace ambita::api
