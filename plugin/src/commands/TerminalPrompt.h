#pragma once
/// A yes/no question on the user's terminal, for `order` above the confirmation amount.

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

namespace ambita::commands {

/// When stdin is a terminal: writes `question` to `prompt`, reads one line from stdin and
/// returns true for "y"/"yes" (any case), false for anything else, end of input or no answer
/// within `timeout` (a command must not wait forever). nullopt when stdin is no terminal.
std::optional<bool> askYesNoOnTerminal(std::ostream& prompt, const std::string& question,
                                       std::chrono::seconds timeout = std::chrono::minutes(5));

}  // namespace ambita::commands
