#include <gtest/gtest.h>

#include <map>

#include "EngineFixture.h"
#include "filing/AssetMapper.h"
#include "filing/CategoryMap.h"
#include "filing/FilingConfig.h"
#include "filing/PathTemplate.h"

namespace ambita::filing {
namespace {

dms::Result<FilingConfig> parse(const std::string& json) {
  auto reader = dms::config::OptionReader::parse(json, {filingConfigOptions()}, "ambita");
  if (!reader) return reader.error();
  return parseFilingConfig(*reader);
}

std::string joined(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) out += (out.empty() ? "" : "/") + s;
  return out;
}

TEST(PathTemplate, RendersPlaceholdersAndDropsEmptySegments) {
  auto t = PathTemplate::parse("{reference}/{orderId} {address}/{categoryFolder}", "t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(joined(t->render({{"reference", "Oppdrag 117"},
                              {"orderId", "42"},
                              {"address", "Infoveien 1, 9999 Infoland"},
                              {"categoryFolder", "Plan og regulering"}},
                             180)),
            "Oppdrag 117/42 Infoveien 1, 9999 Infoland/Plan og regulering");
  // Unknown address: "42 " loses its dangling space; unknown reference: the segment goes.
  EXPECT_EQ(joined(t->render({{"orderId", "42"}, {"categoryFolder", "Vedtekter"}}, 180)),
            "42/Vedtekter");
}

TEST(PathTemplate, FallbackAlternativesAndLiteralBraces) {
  auto t = PathTemplate::parse("{{x}} {reference|technicalReference|orderId}", "t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(joined(t->render({{"technicalReference", "dms-8812"}, {"orderId", "1"}}, 180)),
            "{x} dms-8812");
  EXPECT_EQ(joined(t->render({{"orderId", "1"}}, 180)), "{x} 1");
}

TEST(PathTemplate, ValuesCannotAddSegmentsOrEscape) {
  auto t = PathTemplate::parse("{reference}/{filename}", "t");
  ASSERT_TRUE(t.ok());
  auto segments = t->render({{"reference", "../../etc"}, {"filename", "/etc/passwd"}}, 180);
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[0], "_.._.._etc");
  EXPECT_EQ(segments[1], "_etc_passwd");
}

TEST(PathTemplate, UnknownPlaceholderIsAnErrorNamingIt) {
  auto t = PathTemplate::parse("{reference}/{colour}", "ambita.filing.folderTemplate");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(t.error().message.find("ambita.filing.folderTemplate"), std::string::npos);
  EXPECT_NE(t.error().message.find("{colour}"), std::string::npos);
  EXPECT_FALSE(PathTemplate::parse("{reference", "t").ok());
  EXPECT_FALSE(PathTemplate::parse("reference}", "t").ok());
  EXPECT_FALSE(PathTemplate::parse("{}", "t").ok());
}

TEST(CategoryMap, NorwegianDefaultsOverridesAndUnknown) {
  CategoryMap map;
  EXPECT_EQ(map.lookup("PLAN_KART_REGULERING").folder, "Plan og regulering");
  EXPECT_EQ(map.lookup("KOMMUNAL_INFORMASJON").folder, "Kommunal informasjon");
  EXPECT_EQ(map.lookup("FERDIGATTEST_OG_MIDLERTIDIG_BRUKSTILLATELSE").folder,
            "Ferdigattest og brukstillatelse");
  EXPECT_EQ(map.lookup("PRODUKT_UTEN_KATEGORI").folder, "Andre dokumenter");
  EXPECT_EQ(map.lookup("PRODUCT_UTEN_KATEGORI").folder, "Andre dokumenter");
  EXPECT_EQ(map.lookup("FORRETNINGSFORERINFORMASJON").folder, "Forretningsførerinformasjon");
  EXPECT_EQ(map.lookup("PROSPEKT").folder, "Prospekt");
  EXPECT_EQ(map.lookup("SALGSOPPGAVEVEDLEGG").folder, "Salgsoppgavevedlegg");
  EXPECT_EQ(map.lookup("VEDTEKTER").folder, "Vedtekter");
  EXPECT_FALSE(map.lookup("VEDTEKTER").documentType.empty());
  EXPECT_EQ(map.lookup("SOMETHING_NEW").folder, "Andre dokumenter");
  EXPECT_EQ(map.lookup("").folder, "Andre dokumenter");
}

TEST(FilingConfig, DefaultsParseAndOverridesApply) {
  auto c = parse("{}");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->pushPath, "/ambita/push");
  EXPECT_EQ(c->concurrency, 4u);
  EXPECT_EQ(c->withdrawnPolicy, WithdrawnPolicy::Delete);
  auto o =
      parse(R"({"filing": {"categories": {"VEDTEKTER": "Styre/vedtekter", "NY_KATEGORI": "Nytt"},
                      "defaultCategoryFolder": "Diverse", "withdrawnPolicy": "move",
                      "withdrawnFolder": "Arkiv/Trukket", "concurrency": 2},
                      "push": {"path": "/hooks/ambita", "secret": "s3cret"},
                      "poll": {"intervalMinutes": 5, "finishedDays": 3, "workers": 3}})");
  ASSERT_TRUE(o.ok()) << o.error().describe();
  EXPECT_EQ(o->categories.lookup("VEDTEKTER").folder,
            "Styre/vedtekter");  // made safe when rendered
  EXPECT_EQ(o->categories.lookup("NY_KATEGORI").folder, "Nytt");
  EXPECT_EQ(o->categories.lookup("UKJENT").folder, "Diverse");
  EXPECT_EQ(o->withdrawnPolicy, WithdrawnPolicy::Move);
  EXPECT_EQ(o->withdrawnFolder, "Arkiv/Trukket");
  EXPECT_EQ(o->concurrency, 2u);
  EXPECT_EQ(o->pushPath, "/hooks/ambita");
  EXPECT_EQ(o->pushSecret, "s3cret");
  EXPECT_EQ(o->pollIntervalMinutes, 5);
  EXPECT_EQ(o->pollFinishedDays, 3);
  EXPECT_EQ(o->pollWorkers, 3u);
}

/// The declared default of `key` in `options`, as a number.
long long declaredDefault(const std::vector<dms::ConfigOption>& options, const std::string& key) {
  for (const auto& o : options)
    if (o.key == key) return std::stoll(o.defaultJson);
  ADD_FAILURE() << key << " is not declared";
  return -1;
}

// Issue 8: the defaults are declared once, in the schema; `{}` gives exactly those.
TEST(FilingConfig, AnEmptySectionGivesTheSchemasDefaults) {
  auto c = parse("{}");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  const auto options = filingConfigOptions();
  const std::pair<const char*, long long> integers[] = {
      {"filing.concurrency", static_cast<long long>(c->concurrency)},
      {"filing.maxNameBytes", static_cast<long long>(c->maxNameBytes)},
      {"filing.maxAttempts", c->assetMaxAttempts},
      {"filing.retryMaxMinutes", c->assetRetryMaxMinutes},
      {"push.maxBytes", static_cast<long long>(c->pushMaxBytes)},
      {"push.maxQueuedOrders", static_cast<long long>(c->pushMaxQueuedOrders)},
      {"push.retryDays", c->pushRetryDays},
      {"push.retryMaxMinutes", c->pushRetryMaxMinutes},
      {"poll.intervalMinutes", c->pollIntervalMinutes},
      {"poll.finishedDays", c->pollFinishedDays},
      {"poll.workers", static_cast<long long>(c->pollWorkers)},
  };
  for (const auto& [key, value] : integers) EXPECT_EQ(value, declaredDefault(options, key)) << key;
  const auto unknown = c->categories.lookup("UNKNOWN_CATEGORY");
  const std::map<std::string, std::string> strings = {
      {"push.path", c->pushPath},
      {"filing.withdrawnFolder", c->withdrawnFolder},
      {"filing.defaultCategoryFolder", unknown.folder},
      {"filing.defaultDocumentType", unknown.documentType}};
  for (const auto& o : options) {
    if (strings.count(o.key)) {
      EXPECT_EQ("\"" + strings.at(o.key) + "\"", o.defaultJson) << o.key;
    }
  }
  EXPECT_EQ(c->pushSecret, "");
}

TEST(FilingConfig, ErrorsNameTheKey) {
  struct Case {
    const char* json;
    const char* key;
  } cases[] = {
      {R"({"filing": {"folderTemplate": "{nope}"}})", "ambita.filing.folderTemplate"},
      {R"({"filing": {"fileNameTemplate": "a/{filename}"}})", "ambita.filing.fileNameTemplate"},
      {R"({"filing": {"concurrency": 0}})", "ambita.filing.concurrency"},
      {R"({"filing": {"concurrency": "4"}})", "ambita.filing.concurrency"},
      {R"({"filing": {"withdrawnPolicy": "shred"}})", "ambita.filing.withdrawnPolicy"},
      {R"({"filing": {"withdrawnFolder": "../out"}})", "ambita.filing.withdrawnFolder"},
      {R"({"filing": {"categories": {"X": 1}}})", "ambita.filing.categories.X"},
      {R"({"push": {"path": "ambita"}})", "ambita.push.path"},
      {R"({"poll": {"workers": 99}})", "ambita.poll.workers"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.error().message.find(c.key), std::string::npos) << r.error().message;
  }
}

TEST(FilingConfig, SecretValueNeverInErrors) {
  auto r = parse(R"({"push": {"secret": 12345}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("12345"), std::string::npos);
}

TEST(FilingConfig, SchemaListsEveryKeyWithDefaults) {
  auto options = filingConfigOptions();
  std::set<std::string> keys;
  for (const auto& o : options) {
    keys.insert(o.key);
    EXPECT_FALSE(o.help.empty()) << o.key;
  }
  for (const char* k : {"filing.folderTemplate", "filing.fileNameTemplate", "filing.categories",
                        "filing.defaultCategoryFolder", "filing.withdrawnPolicy",
                        "filing.withdrawnFolder", "filing.concurrency", "push.path", "push.secret",
                        "poll.intervalMinutes", "poll.finishedDays", "poll.workers"})
    EXPECT_EQ(keys.count(k), 1u) << k;
  for (const auto& o : options) {
    if (o.key == "push.secret") {
      EXPECT_TRUE(o.secret);
    }
  }
}

TEST(AssetMapper, WalksBothLevelsOnceAndMapsFolderNameMetadata) {
  auto c = parse(
      R"({"filing": {"folderTemplate": "{reference|technicalReference}/{orderId} {address}/{categoryFolder}"}})");
  ASSERT_TRUE(c.ok());
  auto order = test::EngineFixture::makeOrder(
      5, "FINISHED", {test::makeAsset("a1", "Kart.pdf"), test::makeAsset("dup", "Dup.pdf")},
      {test::makeAsset("l1", "Vedtekter.pdf", "VEDTEKTER"), test::makeAsset("dup", "Dup.pdf")});
  auto contexts = AssetMapper::walk(order);
  ASSERT_EQ(contexts.size(), 3u);
  EXPECT_EQ(contexts[1].asset.id, "dup");
  EXPECT_NE(contexts[1].orderLine, nullptr) << "a duplicate is taken with its order line";

  TrackedOrder tracked;
  tracked.id = 5;
  tracked.reference = "Oppdrag 117";
  tracked.address = "Infoveien 1, 9999 Infoland";
  AssetMapper mapper(*c);
  auto m = mapper.map(order, contexts[2], tracked);
  EXPECT_EQ(m.folder, "Oppdrag 117/5 Infoveien 1, 9999 Infoland/Vedtekter");
  EXPECT_EQ(m.fileName, "Vedtekter.pdf");
  auto md = AssetMapper::metadata(order, contexts[2], m, "abc", 1000, "2026-01-01T00:00:00Z");
  EXPECT_EQ(md["ambita.assetId"], "l1");
  EXPECT_EQ(md["ambita.orderId"], "5");
  EXPECT_EQ(md["ambita.supplierOrderId"], "51");
  EXPECT_EQ(md["ambita.orderLineId"], "507");
  EXPECT_EQ(md["ambita.product"], "WI99990900");
  EXPECT_EQ(md["ambita.productName"], "Godkjente bygningstegninger");
  EXPECT_EQ(md["ambita.category"], "VEDTEKTER");
  EXPECT_EQ(md["ambita.documentType"], "Vedtekter");
  EXPECT_EQ(md["ambita.supplier"], "Infoland Kommune - demo");
  EXPECT_EQ(md["ambita.reference"], "Oppdrag 117");
  EXPECT_EQ(md["ambita.technicalReference"], "dms-case-5");
  EXPECT_EQ(md["ambita.sha256"], "abc");
  EXPECT_EQ(md["ambita.size"], "1000");
  EXPECT_EQ(md["ambita.filedAt"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(md.count("ambita.priceNet"), 0u) << "a line without a price has none";

  // Line-level files carry the line's price (issue 12) as decimal NOK; order-level ones do not.
  order.orders[0].orderLines[0].priceNet = 1650.4;
  order.orders[0].orderLines[0].priceVat = 2063;
  contexts = AssetMapper::walk(order);
  md = AssetMapper::metadata(order, contexts[2], m, "abc", 1000, "2026-01-01T00:00:00Z");
  EXPECT_EQ(md["ambita.priceNet"], "1650.40");
  EXPECT_EQ(md["ambita.priceVat"], "2063.00");
  md = AssetMapper::metadata(order, contexts[0], m, "abc", 1000, "2026-01-01T00:00:00Z");
  EXPECT_EQ(md.count("ambita.priceNet"), 0u);

  // No reference known: the technical reference of the supplier order is the fallback.
  TrackedOrder bare;
  bare.id = 5;
  auto m2 = mapper.map(order, contexts[0], bare);
  EXPECT_EQ(m2.folder, "dms-case-5/5/Plan og regulering");
}

TEST(AssetMapper, MetadataValuesCarryNoControlCharacters) {
  EXPECT_EQ(AssetMapper::metadataValue("Kart æøå.pdf"), "Kart æøå.pdf");
  EXPECT_EQ(AssetMapper::metadataValue(std::string("a\x01"
                                                   "b\nc")),
            "a\\u0001b\\u000Ac");
  EXPECT_EQ(AssetMapper::metadataValue("bad\xFF"), "bad\xEF\xBF\xBD");
  auto a = test::makeAsset("id-1", std::string("ctl\x1f.pdf"));
  auto order = test::EngineFixture::makeOrder(6, "PROGRESS", {a});
  auto c = parse("{}");
  ASSERT_TRUE(c.ok());
  auto contexts = AssetMapper::walk(order);
  auto md = AssetMapper::metadata(
      order, contexts[0], AssetMapper(*c).map(order, contexts[0], TrackedOrder{}), "x", 1, "t");
  EXPECT_EQ(md["ambita.filename"], "ctl\\u001F.pdf");
}

TEST(AssetMapper, FileNameFallsBackToNameThenAssetId) {
  auto c = parse("{}");
  ASSERT_TRUE(c.ok());
  AssetMapper mapper(*c);
  auto a = test::makeAsset("id-1", "");
  a.name = "Opplastet.pdf";
  auto b = test::makeAsset("id-2", "");
  b.name = "";
  auto order = test::EngineFixture::makeOrder(6, "PROGRESS", {a, b});
  auto contexts = AssetMapper::walk(order);
  TrackedOrder t;
  EXPECT_EQ(mapper.map(order, contexts[0], t).fileName, "Opplastet.pdf");
  EXPECT_EQ(mapper.map(order, contexts[1], t).fileName, "id-2");
}

}  // namespace
}  // namespace ambita::filing
