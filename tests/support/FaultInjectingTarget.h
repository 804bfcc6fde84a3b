#pragma once
/// A DocumentTarget wrapper that injects failures (like SQLite's test_vfs.c), for testing
/// retries and crash safety of code that files documents, without broken disks or servers.
///
///   dms::test::FaultInjectingTarget target(realTarget);           // wraps, does not own
///   target.failCall(TargetMethod::Put, 2, ErrorCode::Unavailable);           // 2nd put fails once
///   target.failCall(TargetMethod::Stat, 1, ErrorCode::Unavailable, FaultRepeat::FromThenOn);
///   target.failCall(TargetMethod::Put, 1, ErrorCode::Unavailable, FaultRepeat::Once,
///                   FaultTiming::AfterCall);   // the put happens, but the caller sees an error
///   target.diskFullOnPut(3, 1000);           // 3rd put: 1000 bytes consumed, InsufficientStorage
///   target.resetMidBodyOnPut(1, 4096);       // 1st put: 4096 bytes consumed, Unavailable
///   target.calls(TargetMethod::Put);         // how many puts were attempted
///
/// Call numbers count every call of that method since construction (or resetCounts()),
/// starting at 1. BeforeCall faults do not reach the wrapped target. Mid-body faults hand the
/// wrapped target a stream that fails after the given number of bytes (or at its end, if
/// shorter), so the wrapped target really runs its own cleanup of the partial write; the
/// caller then sees the injected code. Thread-safe; the wrapped target must outlive this.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "support/ForwardingTarget.h"

namespace dms::test {

enum class FaultRepeat {
  Once,        ///< only the nth call fails
  FromThenOn,  ///< the nth and every later call fails (until clearFaults())
};

enum class FaultTiming {
  BeforeCall,  ///< fail without calling the wrapped target
  AfterCall,   ///< call the wrapped target, then report the error anyway (lost answer)
};

class FaultInjectingTarget final : public ForwardingTarget {
 public:
  /// Wraps `inner` (which must outlive this object), or wraps and owns it.
  using ForwardingTarget::ForwardingTarget;

  /// The `nth` call of `method` (and later ones with FromThenOn) fails with `code`.
  void failCall(TargetMethod method, int nth, ErrorCode code,
                FaultRepeat repeat = FaultRepeat::Once,
                FaultTiming timing = FaultTiming::BeforeCall);
  /// The `nth` put consumes `bytesWritten` bytes of its content, then fails with
  /// InsufficientStorage ("No space left on device").
  void diskFullOnPut(int nth, std::uint64_t bytesWritten = 0,
                     FaultRepeat repeat = FaultRepeat::Once);
  /// The `nth` put consumes `bytesSent` bytes of its content, then fails with Unavailable
  /// ("connection reset by peer").
  void resetMidBodyOnPut(int nth, std::uint64_t bytesSent, FaultRepeat repeat = FaultRepeat::Once);
  /// Removes every planned fault (counters keep running).
  void clearFaults();
  /// Sets every call counter back to 0.
  void resetCounts();
  /// Calls of `method` so far (including failed ones).
  int calls(TargetMethod method) const;
  /// Faults injected so far.
  int injectedFaults() const;

  // dms::DocumentTarget: put() also cuts bodies off; every other call goes through around().
  std::string describe() const override;
  Result<EntryInfo> put(const std::string& path, std::istream& content, const Metadata& metadata,
                        PutMode mode) override;

 protected:
  std::optional<Error> around(const TargetCall& call, const Forward& forward) override;

 private:
  struct Fault {
    TargetMethod method;
    int nth;
    ErrorCode code;
    FaultRepeat repeat;
    FaultTiming timing;
    std::optional<std::uint64_t> midBodyBytes;  ///< set for put faults that consume content
    bool spent = false;
  };

  /// Counts the call and returns the fault that applies to it, if any.
  std::optional<Fault> nextCall(TargetMethod method);
  static Error injected(const Fault& fault, const std::string& what);

  mutable std::mutex mutex_;
  std::map<TargetMethod, int> calls_;
  std::vector<Fault> faults_;
  int injected_ = 0;
};

}  // namespace dms::test
