// The outbox event's metadata: written as a JSON object of strings for every filed file and read
// back by toDocumentEvent with every value as it was, whatever characters it holds.

#include <gtest/gtest.h>

#include <string>

#include "filing/AuditLog.h"
#include "filing/Outbox.h"
#include "filing/StateStore.h"

namespace ambita::filing {
namespace {

TEST(OutboxTest, MetadataComesBackExactlyWhateverItHolds) {
  AssetRecord r;
  r.assetId = "a\"quoted\"\\back\\slash";
  r.orderId = 42;
  r.supplierOrderId = 7;
  r.orderLineId = 9;
  r.category = std::string("line\nbreak\ttab\x01\x1f end / Ålesund \xE2\x82\xAC");
  r.sha256 = "ab12";
  r.size = 5'000'000'000;
  r.filedAt = "2026-11-30T02:00:00Z";
  const auto events =
      outboxEventsFor({r}, {AuditLog::entry(42, r.assetId, "filed", Reason::Push, "x/a.pdf")});
  ASSERT_EQ(events.size(), 1u);
  auto document = toDocumentEvent(events.front());
  ASSERT_TRUE(document.ok()) << document.error().describe() << "\n" << events.front().metadataJson;
  const dms::Metadata expected{{"ambita.assetId", r.assetId},   {"ambita.orderId", "42"},
                               {"ambita.supplierOrderId", "7"}, {"ambita.orderLineId", "9"},
                               {"ambita.category", r.category}, {"ambita.sha256", "ab12"},
                               {"ambita.size", "5000000000"},   {"ambita.filedAt", r.filedAt}};
  EXPECT_EQ(document->metadata, expected) << events.front().metadataJson;
}

TEST(OutboxTest, EmptyValuesAreLeftOutAndAnAssetWithoutRecordStillHasItsIds) {
  const auto events =
      outboxEventsFor({}, {AuditLog::entry(3, "lost", "failed", Reason::Push, "p", "HTTP 500")});
  ASSERT_EQ(events.size(), 1u);
  auto document = toDocumentEvent(events.front());
  ASSERT_TRUE(document.ok()) << document.error().describe();
  const dms::Metadata expected{{"ambita.assetId", "lost"}, {"ambita.orderId", "3"}};
  EXPECT_EQ(document->metadata, expected) << events.front().metadataJson;
}

}  // namespace
}  // namespace ambita::filing
