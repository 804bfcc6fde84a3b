#include "FulfilmentScript.h"

namespace sandbox {

std::deque<ScriptStep> FulfilmentScript::defaultSteps(const std::vector<std::int64_t>& lineIds) {
  std::deque<ScriptStep> steps;
  steps.push_back({StepKind::kProgress, 0});
  steps.push_back({StepKind::kOrderFile, 0});
  for (std::int64_t id : lineIds) steps.push_back({StepKind::kLineFile, id});
  steps.push_back({StepKind::kFinish, 0});
  return steps;
}

std::string FulfilmentScript::parseExtras(const std::vector<std::string>& names,
                                          std::vector<StepKind>& out) {
  out.clear();
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (n == "fileAfterFinished") {
      out.push_back(StepKind::kFileAfterFinished);
    } else if (n == "withdraw") {
      out.push_back(StepKind::kWithdraw);
    } else if (n == "cancel") {
      out.push_back(StepKind::kCancel);
    } else if (n == "refund") {
      out.push_back(StepKind::kRefund);
    } else {
      return "extra step " + std::to_string(i) +
             ": expected fileAfterFinished, withdraw, cancel or refund, got '" + n + "'";
    }
  }
  return {};
}

bool FulfilmentScript::isExtra(StepKind kind) {
  return kind == StepKind::kFileAfterFinished || kind == StepKind::kWithdraw ||
         kind == StepKind::kCancel || kind == StepKind::kRefund;
}

std::string FulfilmentScript::name(StepKind kind) {
  switch (kind) {
    case StepKind::kProgress:
      return "progress";
    case StepKind::kOrderFile:
      return "orderFile";
    case StepKind::kLineFile:
      return "lineFile";
    case StepKind::kFinish:
      return "finish";
    case StepKind::kFileAfterFinished:
      return "fileAfterFinished";
    case StepKind::kWithdraw:
      return "withdraw";
    case StepKind::kCancel:
      return "cancel";
    case StepKind::kRefund:
      return "refund";
  }
  return "?";
}

}  // namespace sandbox
