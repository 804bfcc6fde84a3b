#include "commands/TerminalPrompt.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace ambita::commands {

std::optional<bool> askYesNoOnTerminal(std::ostream& prompt, const std::string& question,
                                       std::chrono::seconds timeout) {
  if (!isatty(STDIN_FILENO)) return std::nullopt;
  prompt << question << std::flush;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      prompt << "\n(no answer)\n";
      return false;
    }
    pollfd input{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&input, 1, static_cast<int>(std::min<long long>(left.count(), 60000)));
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    char c = 0;
    // Byte by byte: nothing after the answer's newline is taken from the terminal.
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n <= 0 || c == '\n') break;
    if (line.size() < 16)
      line.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line == "y" || line == "yes" || line == "j" || line == "ja";
}

}  // namespace ambita::commands
