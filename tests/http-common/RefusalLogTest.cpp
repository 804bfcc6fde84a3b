// RefusalLog: what clients cause at will is logged bounded, and no count it holds back is lost.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "dms/http/RefusalLog.h"

namespace dms::http {
namespace {

using Lines = std::vector<std::string>;

/// Keeps every line ("warning [source] message").
class LinesLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view source, std::string_view message) noexcept override {
    static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
    std::lock_guard lock(mutex_);
    lines_.push_back(std::string(kNames[static_cast<int>(level)]) + " [" + std::string(source) +
                     "] " + std::string(message));
  }
  Lines lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  Lines lines_;
};

class RefusalLogTest : public testing::Test {
 protected:
  /// The lines `action` logged.
  Lines loggedBy(const std::function<void()>& action) {
    const std::size_t before = logger_.lines().size();
    action();
    const Lines after = logger_.lines();
    return {after.begin() + static_cast<std::ptrdiff_t>(before), after.end()};
  }
  void refuse(int times, const std::string& kind, LogLevel level = LogLevel::Warning) {
    for (int i = 0; i < times; ++i) log_.refused(kind, level, "refused " + kind);
  }

  LinesLogger logger_;
  std::int64_t now_ = 5000;
  RefusalLog log_{
      logger_, "http", {"connection refused", "connections refused"}, [this] { return now_; }};
};

TEST_F(RefusalLogTest, AFloodCostsOneLineAndOneCountAMinute) {
  EXPECT_EQ(loggedBy([&] {
              refuse(150, "over the cap");
              refuse(50, "queue full", LogLevel::Info);
            }),
            Lines{"warning [http] refused over the cap (further connections refused this minute "
                  "are counted, not logged)"});
  now_ += RefusalLog::kWindowSeconds - 1;
  EXPECT_EQ(loggedBy([&] { log_.flushIfDue(); }), Lines{}) << "the minute has not passed";

  now_ += 1;
  EXPECT_EQ(loggedBy([&] { log_.flushIfDue(); }),
            Lines{"warning [http] 199 more connections refused in that minute (149 over the cap, "
                  "50 queue full; not logged one by one)"});
  EXPECT_EQ(loggedBy([&] { log_.flushIfDue(); }), Lines{}) << "a count is logged once";
  EXPECT_EQ(loggedBy([&] { refuse(1, "queue full", LogLevel::Info); }),
            Lines{"info [http] refused queue full (further connections refused this minute are "
                  "counted, not logged)"})
      << "a new minute logs its first refusal in full";
}

// Its owner stops: what the minute held back is logged at once, not at a next refusal that
// never comes. A window ends with it.
TEST_F(RefusalLogTest, FlushLogsTheCountHeldBackAtOnce) {
  refuse(3, "queue full");
  EXPECT_EQ(loggedBy([&] { log_.flush(); }),
            Lines{"warning [http] 2 more connections refused in that minute (2 queue full; not "
                  "logged one by one)"});
  EXPECT_EQ(loggedBy([&] { log_.flush(); }), Lines{});
  EXPECT_EQ(loggedBy([&] { refuse(2, "queue full"); }).size(), 1u);
  EXPECT_EQ(loggedBy([&] { log_.flush(); }),
            Lines{"warning [http] 1 more connection refused in that minute (1 queue full; not "
                  "logged one by one)"});
}

// A clock set back cannot stretch a window: it starts a new one (one line too many, never none).
TEST_F(RefusalLogTest, AClockSetBackStartsANewWindow) {
  refuse(2, "queue full");
  now_ -= 3600;
  const Lines logged = loggedBy([&] { refuse(1, "over the cap"); });
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_TRUE(logged[0].starts_with("warning [http] 1 more connection refused")) << logged[0];
  EXPECT_TRUE(logged[1].starts_with("warning [http] refused over the cap")) << logged[1];
}

}  // namespace
}  // namespace dms::http
