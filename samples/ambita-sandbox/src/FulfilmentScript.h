#pragma once
/// The steps that fulfil an order, in order. Default script of an order:
///   progress -> orderFile -> lineFile (one per non-package line) -> finish
/// followed by the order's extra steps, any of:
///   fileAfterFinished, withdraw, cancel, refund (in the order given).

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace sandbox {

enum class StepKind {
  kProgress,
  kOrderFile,
  kLineFile,
  kFinish,
  kFileAfterFinished,
  kWithdraw,
  kCancel,
  kRefund
};

struct ScriptStep {
  StepKind kind = StepKind::kProgress;
  std::int64_t lineId = 0;  ///< the line that receives its file (kLineFile only)
};

class FulfilmentScript {
 public:
  /// The default steps for an order whose file-receiving lines are `lineIds`.
  static std::deque<ScriptStep> defaultSteps(const std::vector<std::int64_t>& lineIds);

  /// Parses extra step names; returns an error naming the bad entry, empty on success.
  static std::string parseExtras(const std::vector<std::string>& names, std::vector<StepKind>& out);

  /// True for the optional steps (those set through --extra-steps or the script endpoint).
  static bool isExtra(StepKind kind);

  /// The step's name as used in README.md and the control API ("lineFile", "cancel", ...).
  static std::string name(StepKind kind);
};

}  // namespace sandbox
