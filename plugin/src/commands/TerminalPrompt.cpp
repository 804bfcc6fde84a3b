#include "commands/TerminalPrompt.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace ambita::commands {

std::optional<TerminalAnswer> askYesNoOnTerminal(int input, std::ostream& prompt,
                                                 const std::string& question,
                                                 const std::function<bool()>& cancelled,
                                                 std::chrono::milliseconds timeout) {
  if (!isatty(input)) return std::nullopt;
  const auto giveUp = [&] { return cancelled && cancelled(); };
  if (giveUp()) return TerminalAnswer::Cancelled;
  prompt << question << std::flush;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  while (true) {
    if (giveUp()) {
      prompt << "\n(cancelled)\n" << std::flush;
      return TerminalAnswer::Cancelled;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      prompt << "\n(no answer)\n";
      return TerminalAnswer::No;
    }
    // Short slices, `cancelled` asked between them: a stop has no descriptor to wake this poll.
    pollfd ready{input, POLLIN, 0};
    const int count =
        ::poll(&ready, 1, static_cast<int>(std::min(left, kPromptCancelCheck).count()));
    if (count < 0 && errno != EINTR) return TerminalAnswer::No;
    if (count <= 0) continue;
    char c = 0;
    // Byte by byte: nothing after the answer's newline is taken from the terminal.
    const ssize_t n = ::read(input, &c, 1);
    if (n <= 0 || c == '\n') break;
    if (line.size() < 16)
      line.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  const bool yes = line == "y" || line == "yes" || line == "j" || line == "ja";
  return yes ? TerminalAnswer::Yes : TerminalAnswer::No;
}

}  // namespace ambita::commands
