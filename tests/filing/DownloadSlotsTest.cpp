// DownloadSlots (plugin/src/filing/DownloadSlots.h): downloads in flight at most the slots,
// a wait for one ended by a freed slot, its deadline or stop. Nothing depends on timing but
// the deadline test's own short deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "filing/DownloadSlots.h"

namespace ambita::filing {
namespace {

using namespace std::chrono_literals;

TEST(DownloadSlotsTest, ASlotGivenBackLetsTheNextDownloadIn) {
  DownloadSlots slots(1, 1min);
  auto first = slots.take("asset a");
  ASSERT_TRUE(first.ok());
  auto second = std::async(std::launch::async, [&] { return slots.take("asset b").ok(); });
  EXPECT_EQ(second.wait_for(50ms), std::future_status::timeout) << "two downloads in one slot";
  first->release();
  EXPECT_TRUE(second.get());
}

TEST(DownloadSlotsTest, AWaitEndsAtItsDeadlineNamingTheDownload) {
  DownloadSlots slots(1, 20ms);
  auto first = slots.take("asset a");
  ASSERT_TRUE(first.ok());
  auto second = slots.take("asset b");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(second.error().message.find("asset b"), std::string::npos) << second.error().message;
}

TEST(DownloadSlotsTest, StopEndsAWaitAndRefusesLaterOnesUntilReset) {
  DownloadSlots slots(1, 10min);
  auto first = slots.take("asset a");
  ASSERT_TRUE(first.ok());
  auto waiting = std::async(std::launch::async, [&] { return slots.take("asset b"); });
  slots.requestStop();
  auto stopped = waiting.get();  // would wait ten minutes without the stop
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, dms::ErrorCode::Cancelled);
  first->release();
  EXPECT_FALSE(slots.take("asset c").ok()) << "taken after requestStop()";
  slots.resetStop();
  EXPECT_TRUE(slots.take("asset c").ok());
}

}  // namespace
}  // namespace ambita::filing
