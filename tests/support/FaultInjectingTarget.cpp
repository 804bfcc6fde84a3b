#include "support/FaultInjectingTarget.h"

#include "support/TestStream.h"

namespace dms::test {

void FaultInjectingTarget::failCall(TargetMethod method, int nth, ErrorCode code,
                                    FaultRepeat repeat, FaultTiming timing) {
  std::lock_guard lock(mutex_);
  faults_.push_back({method, nth, code, repeat, timing, std::nullopt});
}

void FaultInjectingTarget::diskFullOnPut(int nth, std::uint64_t bytesWritten, FaultRepeat repeat) {
  std::lock_guard lock(mutex_);
  faults_.push_back({TargetMethod::Put, nth, ErrorCode::InsufficientStorage, repeat,
                     FaultTiming::BeforeCall, bytesWritten});
}

void FaultInjectingTarget::resetMidBodyOnPut(int nth, std::uint64_t bytesSent, FaultRepeat repeat) {
  std::lock_guard lock(mutex_);
  faults_.push_back(
      {TargetMethod::Put, nth, ErrorCode::Unavailable, repeat, FaultTiming::BeforeCall, bytesSent});
}

void FaultInjectingTarget::clearFaults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

void FaultInjectingTarget::resetCounts() {
  std::lock_guard lock(mutex_);
  calls_.clear();
}

int FaultInjectingTarget::calls(TargetMethod method) const {
  std::lock_guard lock(mutex_);
  const auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

int FaultInjectingTarget::injectedFaults() const {
  std::lock_guard lock(mutex_);
  return injected_;
}

std::optional<FaultInjectingTarget::Fault> FaultInjectingTarget::nextCall(TargetMethod method) {
  std::lock_guard lock(mutex_);
  const int number = ++calls_[method];
  for (auto& fault : faults_) {
    if (fault.method != method || fault.spent) continue;
    const bool hit = fault.repeat == FaultRepeat::Once ? number == fault.nth : number >= fault.nth;
    if (!hit) continue;
    if (fault.repeat == FaultRepeat::Once) fault.spent = true;
    ++injected_;
    return fault;
  }
  return std::nullopt;
}

Error FaultInjectingTarget::injected(const Fault& fault, const std::string& what) {
  std::string reason;
  switch (fault.code) {
    case ErrorCode::InsufficientStorage:
      reason = "No space left on device";
      break;
    case ErrorCode::Unavailable:
      reason = "connection reset by peer";
      break;
    default:
      reason = std::string(toString(fault.code));
      break;
  }
  std::string message =
      "injected fault in " + std::string(methodName(fault.method)) + " " + what + ": " + reason;
  if (fault.midBodyBytes) message += " after " + std::to_string(*fault.midBodyBytes) + " bytes";
  return fail(fault.code, message);
}

std::optional<Error> FaultInjectingTarget::around(const TargetCall& call, const Forward& forward) {
  const auto fault = nextCall(call.method);
  if (fault && fault->timing == FaultTiming::BeforeCall) return injected(*fault, call.describe());
  forward();
  if (fault) return injected(*fault, call.describe());
  return std::nullopt;
}

std::string FaultInjectingTarget::describe() const {
  return "fault-injecting:" + inner().describe();
}

Result<EntryInfo> FaultInjectingTarget::put(const std::string& path, std::istream& content,
                                            const Metadata& metadata, PutMode mode) {
  const auto fault = nextCall(TargetMethod::Put);
  if (fault && fault->midBodyBytes) {
    // Let the real target consume part of the body and clean up its partial write.
    auto cut = TestStream::passThrough(content);
    cut.chunkSize(8192).failAt(*fault->midBodyBytes, "injected fault: body cut off");
    std::istream truncated(&cut);
    auto ignored = inner().put(path, truncated, metadata, mode);
    (void)ignored;
    return injected(*fault, "'" + path + "'");
  }
  if (fault && fault->timing == FaultTiming::BeforeCall) return injected(*fault, "'" + path + "'");
  auto result = inner().put(path, content, metadata, mode);
  if (fault) return injected(*fault, "'" + path + "'");
  return result;
}

}  // namespace dms::test
