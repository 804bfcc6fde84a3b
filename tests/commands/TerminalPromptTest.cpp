// `order`'s confirmation on the terminal (commands/TerminalPrompt.h), on a pseudo-terminal: the
// answers, no terminal (a pipe), no answer in time, and a cancellation (the plugin's stop())
// that ends the wait at once instead of after the timeout.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "commands/TerminalPrompt.h"
#include "support/PseudoTerminal.h"

namespace ambita::test {
namespace {

using commands::askYesNoOnTerminal;
using commands::TerminalAnswer;
using dms::test::PseudoTerminal;

const std::string kQuestion = "Order for 2063.00 NOK incl. VAT? [y/N] ";

TEST(TerminalPromptTest, ReadsTheAnswerFromTheTerminalItIsGiven) {
  const std::vector<std::pair<std::string, TerminalAnswer>> cases = {
      {"y\n", TerminalAnswer::Yes},        {"n\n", TerminalAnswer::No},
      {"ja\n", TerminalAnswer::Yes},       {"YES\n", TerminalAnswer::Yes},
      {"\n", TerminalAnswer::No},          {"nei\n", TerminalAnswer::No},
      {"yes please\n", TerminalAnswer::No}};
  for (const auto& [typed, expected] : cases) {
    PseudoTerminal terminal;
    terminal.type(typed);  // typed ahead: the terminal keeps it until it is read
    std::ostringstream prompt;
    const auto answer = askYesNoOnTerminal(terminal.terminal(), prompt, kQuestion, {});
    ASSERT_TRUE(answer.has_value()) << "typed " << typed;
    EXPECT_EQ(*answer, expected) << "typed " << typed;
    EXPECT_EQ(prompt.str(), kQuestion);
  }
}

TEST(TerminalPromptTest, NoTerminalIsNoAnswerAndAsksNothing) {
  int pipeEnds[2];
  ASSERT_EQ(::pipe(pipeEnds), 0);
  ASSERT_EQ(::write(pipeEnds[1], "y\n", 2), 2);  // a script's "yes" is no confirmation
  std::ostringstream prompt;
  const auto answer = askYesNoOnTerminal(pipeEnds[0], prompt, kQuestion, {});
  ::close(pipeEnds[0]);
  ::close(pipeEnds[1]);
  EXPECT_FALSE(answer.has_value());
  EXPECT_EQ(prompt.str(), "");
}

TEST(TerminalPromptTest, NoAnswerInTimeIsNo) {
  PseudoTerminal terminal;
  std::ostringstream prompt;
  const auto answer = askYesNoOnTerminal(
      terminal.terminal(), prompt, kQuestion, [] { return false; }, std::chrono::milliseconds(300));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(*answer, TerminalAnswer::No);
  EXPECT_EQ(prompt.str(), kQuestion + "\n(no answer)\n");
}

// The plugin's stop() waits for a command asking on the terminal: the question must end when
// it is cancelled, not after its timeout (a minute here; five in `order`).
TEST(TerminalPromptTest, ACancellationWhileItWaitsEndsItAtOnce) {
  PseudoTerminal terminal;
  std::ostringstream prompt;
  std::atomic<int> checks{0};
  std::atomic<bool> stopping{false};
  auto asking = std::async(std::launch::async, [&] {
    return askYesNoOnTerminal(
        terminal.terminal(), prompt, kQuestion,
        [&] {
          ++checks;
          return stopping.load();
        },
        std::chrono::seconds(60));
  });
  // Asked before the question and again while it waits: it is waiting for an answer now.
  const auto waiting = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (checks.load() < 2 && std::chrono::steady_clock::now() < waiting)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_GE(checks.load(), 2) << "the question never checked for a cancellation";
  stopping = true;
  ASSERT_EQ(asking.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the cancelled question still waits";
  const auto answer = asking.get();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(*answer, TerminalAnswer::Cancelled);
  EXPECT_EQ(prompt.str(), kQuestion + "\n(cancelled)\n");
}

TEST(TerminalPromptTest, CancelledBeforeAskingAsksNothing) {
  PseudoTerminal terminal;
  terminal.type("y\n");
  std::ostringstream prompt;
  const auto answer =
      askYesNoOnTerminal(terminal.terminal(), prompt, kQuestion, [] { return true; });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(*answer, TerminalAnswer::Cancelled);
  EXPECT_EQ(prompt.str(), "");
}

}  // namespace
}  // namespace ambita::test
