// FolderGate (plugin/src/filing/FolderGate.h): which folder changes collide, and how a
// colliding one waits: until the other's pass is gone, at most its deadline, or until stop.
// No outcome depends on timing: a change that must wait is seen waiting (waiting()) before the
// test lets the other go; one that must not wait is tried with a deadline of zero.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

#include "filing/FolderGate.h"

namespace ambita::filing {
namespace {

using namespace std::chrono_literals;

/// Polls until `done` (a condition the test makes true), failing only after a minute.
template <class Condition>
bool eventually(Condition done) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(FolderGateTest, ChangesCollideWhenTheirPathsShareAFolder) {
  EXPECT_TRUE(FolderGate::collide("A/1/x", "A/1"));  // one within the other
  EXPECT_TRUE(FolderGate::collide("A/1", "A/1/x"));
  EXPECT_TRUE(FolderGate::collide("A/1/x", "A/2/y"));  // pruning one may delete "A"
  EXPECT_TRUE(FolderGate::collide("A", "A"));
  EXPECT_FALSE(FolderGate::collide("A/1/x", "B/1/x"));
  EXPECT_FALSE(FolderGate::collide("A/x", "AB/x"));  // segments, not characters
  EXPECT_FALSE(FolderGate::collide("AB", "A"));
}

TEST(FolderGateTest, AnUnrelatedFolderEntersWhileAnotherIsHeld) {
  FolderGate gate(0s);  // a change that had to wait would fail at once
  auto held = gate.enter("A/1/x");
  ASSERT_TRUE(held.ok());
  auto unrelated = gate.enter("B/1/x");
  EXPECT_TRUE(unrelated.ok()) << unrelated.error().describe();
}

TEST(FolderGateTest, ACollidingChangeGivesUpAtItsDeadlineNamingBothPaths) {
  FolderGate gate(0s);
  auto held = gate.enter("A/1/x");
  ASSERT_TRUE(held.ok());
  auto colliding = gate.enter("A/2/y");
  ASSERT_FALSE(colliding.ok());
  EXPECT_EQ(colliding.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(colliding.error().message.find("'A/2/y'"), std::string::npos)
      << colliding.error().message;
  EXPECT_NE(colliding.error().message.find("'A/1/x'"), std::string::npos)
      << colliding.error().message;
}

TEST(FolderGateTest, ACollidingChangeWaitsUntilTheHeldOneEnds) {
  FolderGate gate(15min);
  std::optional<FolderGate::Pass> held;
  {
    auto pass = gate.enter("A/1/x");
    ASSERT_TRUE(pass.ok());
    held.emplace(std::move(*pass));
  }
  auto waiter = std::async(std::launch::async, [&] { return gate.enter("A").ok(); });
  ASSERT_TRUE(eventually([&] { return gate.waiting() == 1; }));
  EXPECT_EQ(waiter.wait_for(0s), std::future_status::timeout) << "entered beside a held change";
  held.reset();
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST(FolderGateTest, StopEndsAWaitAndLaterEntriesUntilReset) {
  FolderGate gate(15min);
  auto held = gate.enter("A/1/x");
  ASSERT_TRUE(held.ok());
  auto waiter = std::async(std::launch::async, [&] {
    auto pass = gate.enter("A/2/y");
    return pass.ok() ? dms::Error{} : pass.error();
  });
  ASSERT_TRUE(eventually([&] { return gate.waiting() == 1; }));
  gate.requestStop();
  const auto error = waiter.get();
  EXPECT_EQ(error.code, dms::ErrorCode::Cancelled);
  EXPECT_NE(error.message.find("'A/2/y'"), std::string::npos) << error.message;
  auto unrelated = gate.enter("B");
  ASSERT_FALSE(unrelated.ok());
  EXPECT_EQ(unrelated.error().code, dms::ErrorCode::Cancelled);
  gate.resetStop();
  EXPECT_TRUE(gate.enter("B").ok());
}

TEST(FolderGateTest, APassIsGivenBackWhenTheTargetCallThrows) {
  FolderGate gate(0s);
  try {
    auto pass = gate.enter("A/1");
    ASSERT_TRUE(pass.ok());
    throw std::runtime_error("a connector's bug");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(gate.enter("A/1").ok());
  auto moved = gate.enter("A/2");
  ASSERT_TRUE(moved.ok());
  { FolderGate::Pass taken(std::move(*moved)); }  // the moved-from pass gives back nothing
  EXPECT_TRUE(gate.enter("A/3").ok());
}

}  // namespace
}  // namespace ambita::filing
