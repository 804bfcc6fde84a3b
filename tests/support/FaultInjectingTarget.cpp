#include "support/FaultInjectingTarget.h"

#include <algorithm>
#include <stdexcept>
#include <streambuf>

namespace dms::test {
namespace {

/// Passes through at most `limit` bytes of `source`, then throws (std::istream turns that
/// into badbit, which every target reports as DataLoss and cleans up after).
class CutOffBuf : public std::streambuf {
 public:
  CutOffBuf(std::istream& source, std::uint64_t limit) : source_(source), limit_(limit) {}

 protected:
  int_type underflow() override {
    if (passed_ >= limit_) throw std::runtime_error("injected fault: body cut off");
    const auto want =
        static_cast<std::streamsize>(std::min<std::uint64_t>(sizeof buffer_, limit_ - passed_));
    source_.read(buffer_, want);
    const auto got = source_.gcount();
    // The source ended before the limit: still fail, so the fault always happens.
    if (got <= 0) throw std::runtime_error("injected fault: body cut off at its end");
    passed_ += static_cast<std::uint64_t>(got);
    setg(buffer_, buffer_, buffer_ + got);
    return traits_type::to_int_type(buffer_[0]);
  }

 private:
  std::istream& source_;
  std::uint64_t limit_;
  std::uint64_t passed_ = 0;
  char buffer_[8192];
};

const char* methodName(TargetMethod method) {
  switch (method) {
    case TargetMethod::EnsureFolder:
      return "ensureFolder";
    case TargetMethod::Put:
      return "put";
    case TargetMethod::Get:
      return "get";
    case TargetMethod::ReadMetadata:
      return "readMetadata";
    case TargetMethod::WriteMetadata:
      return "writeMetadata";
    case TargetMethod::Stat:
      return "stat";
    case TargetMethod::List:
      return "list";
    case TargetMethod::Remove:
      return "remove";
    case TargetMethod::Move:
      return "move";
    case TargetMethod::Recover:
      return "recover";
  }
  return "?";
}

}  // namespace

FaultInjectingTarget::FaultInjectingTarget(DocumentTarget& inner) : inner_(inner) {}

FaultInjectingTarget::FaultInjectingTarget(std::unique_ptr<DocumentTarget> inner)
    : owned_(std::move(inner)), inner_(*owned_) {}

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
      "injected fault in " + std::string(methodName(fault.method)) + " '" + what + "': " + reason;
  if (fault.midBodyBytes) message += " after " + std::to_string(*fault.midBodyBytes) + " bytes";
  return fail(fault.code, message);
}

template <class R, class Call>
R FaultInjectingTarget::intercept(TargetMethod method, const std::string& what, Call&& call) {
  const auto fault = nextCall(method);
  if (fault && fault->timing == FaultTiming::BeforeCall) return injected(*fault, what);
  R result = call();
  if (fault) return injected(*fault, what);
  return result;
}

Capabilities FaultInjectingTarget::capabilities() const {
  return inner_.capabilities();
}

std::string FaultInjectingTarget::describe() const {
  return "fault-injecting:" + inner_.describe();
}

Status FaultInjectingTarget::ensureFolder(const std::string& path) {
  return intercept<Status>(TargetMethod::EnsureFolder, path,
                           [&] { return inner_.ensureFolder(path); });
}

Result<EntryInfo> FaultInjectingTarget::put(const std::string& path, std::istream& content,
                                            const Metadata& metadata, PutMode mode) {
  const auto fault = nextCall(TargetMethod::Put);
  if (fault && fault->midBodyBytes) {
    // Let the real target consume part of the body and clean up its partial write.
    CutOffBuf cut(content, *fault->midBodyBytes);
    std::istream truncated(&cut);
    auto ignored = inner_.put(path, truncated, metadata, mode);
    (void)ignored;
    return injected(*fault, path);
  }
  if (fault && fault->timing == FaultTiming::BeforeCall) return injected(*fault, path);
  auto result = inner_.put(path, content, metadata, mode);
  if (fault) return injected(*fault, path);
  return result;
}

Result<std::unique_ptr<std::istream>> FaultInjectingTarget::get(const std::string& path) {
  return intercept<Result<std::unique_ptr<std::istream>>>(TargetMethod::Get, path,
                                                          [&] { return inner_.get(path); });
}

Result<Metadata> FaultInjectingTarget::readMetadata(const std::string& path) {
  return intercept<Result<Metadata>>(TargetMethod::ReadMetadata, path,
                                     [&] { return inner_.readMetadata(path); });
}

Status FaultInjectingTarget::writeMetadata(const std::string& path, const Metadata& metadata) {
  return intercept<Status>(TargetMethod::WriteMetadata, path,
                           [&] { return inner_.writeMetadata(path, metadata); });
}

Result<EntryInfo> FaultInjectingTarget::stat(const std::string& path) {
  return intercept<Result<EntryInfo>>(TargetMethod::Stat, path, [&] { return inner_.stat(path); });
}

Result<std::vector<EntryInfo>> FaultInjectingTarget::list(const std::string& folder) {
  return intercept<Result<std::vector<EntryInfo>>>(TargetMethod::List, folder,
                                                   [&] { return inner_.list(folder); });
}

Status FaultInjectingTarget::remove(const std::string& path, bool pruneEmptyParents) {
  return intercept<Status>(TargetMethod::Remove, path,
                           [&] { return inner_.remove(path, pruneEmptyParents); });
}

Status FaultInjectingTarget::move(const std::string& from, const std::string& to) {
  return intercept<Status>(TargetMethod::Move, from + "' -> '" + to,
                           [&] { return inner_.move(from, to); });
}

Status FaultInjectingTarget::recover() {
  return intercept<Status>(TargetMethod::Recover, "", [&] { return inner_.recover(); });
}

}  // namespace dms::test
