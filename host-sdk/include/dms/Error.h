#pragma once
/// Errors as values: every call that crosses a module boundary returns a Result, so that no
/// exception ever leaves a module (plugins and connectors are guests in the host's process).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dms {

/// A small closed set of error kinds. Callers decide on retries from the kind alone
/// (see isRetryable); the message is for people and must never contain a secret.
enum class ErrorCode {
  NotFound,             ///< the path / order / asset does not exist
  AlreadyExists,        ///< create-only operation found something in place
  Conflict,             ///< a parent folder is missing or the state changed underneath
  Locked,               ///< the resource is locked by someone else (retryable)
  PermissionDenied,     ///< authenticated, but not allowed (final)
  Unauthenticated,      ///< credentials missing or wrong (final after one refresh)
  RateLimited,          ///< told to slow down; Error::retryAfter says for how long
  Unavailable,          ///< connection refused/reset, timeout, 5xx (retryable)
  InvalidArgument,      ///< the caller's input is wrong (hostile path, bad config, ...)
  NotSupported,         ///< the target does not offer this optional operation
  InsufficientStorage,  ///< disk or quota full (final until someone frees space)
  DataLoss,             ///< content cut short or corrupted in transit (retryable from scratch)
  Cancelled,            ///< stop was requested while the call was in flight
  Internal,             ///< a bug or an unexpected condition; the message says where
  /// Appended in interface 1.1 (DocumentTarget::recover()): the call did all it could, and what
  /// it could not finish (a leftover the storage refused to delete) is named in the message; a
  /// later call tries those again. Not a failure of the call as a whole: the caller goes on.
  Incomplete,
};

/// Name of an error kind, e.g. "NotFound", for logs and messages.
constexpr std::string_view toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::AlreadyExists: return "AlreadyExists";
    case ErrorCode::Conflict: return "Conflict";
    case ErrorCode::Locked: return "Locked";
    case ErrorCode::PermissionDenied: return "PermissionDenied";
    case ErrorCode::Unauthenticated: return "Unauthenticated";
    case ErrorCode::RateLimited: return "RateLimited";
    case ErrorCode::Unavailable: return "Unavailable";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::NotSupported: return "NotSupported";
    case ErrorCode::InsufficientStorage: return "InsufficientStorage";
    case ErrorCode::DataLoss: return "DataLoss";
    case ErrorCode::Cancelled: return "Cancelled";
    case ErrorCode::Internal: return "Internal";
    case ErrorCode::Incomplete: return "Incomplete";
  }
  return "Unknown";
}

/// True for kinds where the same call may succeed later without anyone changing anything.
constexpr bool isRetryable(ErrorCode code) {
  return code == ErrorCode::Locked || code == ErrorCode::RateLimited ||
         code == ErrorCode::Unavailable || code == ErrorCode::DataLoss;
}

/// An error kind with a message that names what was wrong and where.
struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  /// Set with RateLimited (and sometimes Unavailable) when the server said how long to wait.
  std::optional<std::chrono::milliseconds> retryAfter;

  /// "NotFound: folder 'a/b' does not exist"
  std::string describe() const { return std::string(toString(code)) + ": " + message; }
};

/// Either a value or an Error. Minimal on purpose (C++20 has no std::expected).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// Precondition: ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

  /// Precondition: !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// Success or an Error, for calls that return nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  /// Precondition: !ok().
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

/// Shorthand: return dms::fail(ErrorCode::NotFound, "folder '" + p + "' does not exist");
inline Error fail(ErrorCode code, std::string message) { return Error{code, std::move(message), {}}; }

}  // namespace dms
