#pragma once
/// A yes/no question on the user's terminal, for `order` above the confirmation amount.

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace ambita::commands {

enum class TerminalAnswer {
  Yes,
  No,        ///< answered otherwise, end of input, or no answer in time
  Cancelled  ///< the caller gave up while waiting (the plugin's stop())
};

/// How often a waiting question asks `cancelled`: stop() is not kept waiting longer than this.
inline constexpr std::chrono::milliseconds kPromptCancelCheck{100};

/// When `input` is a terminal: writes `question` to `prompt`, reads one line from `input` and
/// answers Yes for "y"/"yes"/"j"/"ja" (any case), No for anything else, end of input or no
/// answer within `timeout` (a command must not wait forever). Cancelled once `cancelled()`
/// (empty: never) returns true: asked before the question (then nothing is written) and every
/// kPromptCancelCheck while it waits (then "(cancelled)" ends the question's line). nullopt when
/// `input` is no terminal (a script).
std::optional<TerminalAnswer> askYesNoOnTerminal(
    int input, std::ostream& prompt, const std::string& question,
    const std::function<bool()>& cancelled,
    std::chrono::milliseconds timeout = std::chrono::minutes(5));

}  // namespace ambita::commands
