#pragma once
/// The base of the tests' DocumentTarget wrappers (fault-injecting, crashing, overlap-detecting):
/// forwards every call to an inner target, and gives a wrapper one place, around(), to act
/// before and after each call or to answer it with an error instead.
///
///   class CountingTarget final : public dms::test::ForwardingTarget {
///    public:
///     using ForwardingTarget::ForwardingTarget;
///    protected:
///     std::optional<dms::Error> around(const TargetCall& call, const Forward& forward) override {
///       ++counts_[call.method];
///       forward();
///       return std::nullopt;  // the inner target's answer
///     }
///   };

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dms/DocumentTarget.h"

namespace dms::test {

/// The DocumentTarget calls a wrapper can intercept (all but capabilities() and describe()).
enum class TargetMethod {
  EnsureFolder,
  Put,
  Get,
  ReadMetadata,
  WriteMetadata,
  Stat,
  List,
  Remove,
  Move,
  Recover
};

/// "ensureFolder", "put", ...
const char* methodName(TargetMethod method);

/// One call on its way to the inner target.
struct TargetCall {
  TargetCall(TargetMethod method, std::string path, std::string to = {},
             bool pruneEmptyParents = false)
      : method(method),
        path(std::move(path)),
        to(std::move(to)),
        pruneEmptyParents(pruneEmptyParents) {}

  TargetMethod method;
  std::string path;                ///< the path (list: the folder; recover: "")
  std::string to;                  ///< move's destination, else ""
  bool pruneEmptyParents = false;  ///< remove's flag, else false

  /// The paths this call may modify: none for reads; `path` (and `to` for move); with the
  /// folders above `path` for ensureFolder and a pruning remove, which may create or delete them.
  std::vector<std::string> modifiedPaths() const;
  /// "'path'" or "'from' -> 'to'", for messages.
  std::string describe() const;
};

class ForwardingTarget : public DocumentTarget {
 public:
  /// Wraps `inner`, which must outlive this object.
  explicit ForwardingTarget(DocumentTarget& inner);
  /// Wraps and owns `inner`.
  explicit ForwardingTarget(std::unique_ptr<DocumentTarget> inner);

  Capabilities capabilities() const override;
  std::string describe() const override;
  Status ensureFolder(const std::string& path) override;
  Result<EntryInfo> put(const std::string& path, std::istream& content, const Metadata& metadata,
                        PutMode mode) override;
  Result<std::unique_ptr<std::istream>> get(const std::string& path) override;
  Result<Metadata> readMetadata(const std::string& path) override;
  Status writeMetadata(const std::string& path, const Metadata& metadata) override;
  Result<EntryInfo> stat(const std::string& path) override;
  Result<std::vector<EntryInfo>> list(const std::string& folder) override;
  Status remove(const std::string& path, bool pruneEmptyParents) override;
  Status move(const std::string& from, const std::string& to) override;
  Status recover() override;

 protected:
  /// Passes the call on to the inner target and keeps its answer.
  using Forward = std::function<void()>;

  /// Runs around every intercepted call. `forward` passes it on (call it at most once). Return
  /// an error to answer the call with it, whether or not it was forwarded (a failure before
  /// the call, or a lost answer after it); std::nullopt to return the inner target's answer.
  /// The default forwards.
  virtual std::optional<Error> around(const TargetCall& call, const Forward& forward);

  DocumentTarget& inner() const { return inner_; }

 private:
  /// around() applied to one call whose answer has type R.
  template <class R, class Call>
  R intercept(TargetCall call, Call&& forwardToInner);

  std::unique_ptr<DocumentTarget> owned_;
  DocumentTarget& inner_;
};

}  // namespace dms::test
