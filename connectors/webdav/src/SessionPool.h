#pragma once
/// Keep-alive HTTP(S) sessions to one origin, reused across requests and bounded in number
/// (the target's `concurrency`): a caller that finds every session busy waits for one, at most
/// Settings::maxWait and never past a stop. Thread-safe. HTTPS sessions get the target's own TLS
/// Context (never the process-wide SSLManager).

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Timespan.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dms/Error.h"
#include "dms/http/StopSignal.h"

namespace dms::webdav {

class SessionPool : public std::enable_shared_from_this<SessionPool> {
 public:
  struct Settings {
    std::string scheme;  ///< "http" or "https"
    std::string host;
    unsigned short port = 0;
    std::size_t maxSessions = 4;
    Poco::Timespan connectTimeout{10, 0};
    Poco::Timespan ioTimeout{60, 0};
    /// Longest wait in acquire() for a busy session to come back (a put may hold one for as
    /// long as its upload takes).
    std::chrono::milliseconds maxWait{300'000};
    Poco::Net::Context::Ptr tlsContext;  ///< required for https
  };

  /// A borrowed session; goes back to the pool when destroyed, or is closed if discard() was
  /// called (after an error, or with an unread response body). Keeps the pool alive, so a
  /// stream from get() may outlive its target.
  class Lease {
   public:
    Lease(std::shared_ptr<SessionPool> pool, std::unique_ptr<Poco::Net::HTTPClientSession> session);
    ~Lease();
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Poco::Net::HTTPClientSession& session() { return *session_; }
    /// The connection is in an unknown state: close it instead of reusing it.
    void discard() { reusable_ = false; }

   private:
    std::shared_ptr<SessionPool> pool_;
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    bool reusable_ = true;
  };

  /// Always held by a shared_ptr (make it with std::make_shared).
  explicit SessionPool(Settings settings);

  /// Borrows an idle session or makes a new one while fewer than maxSessions exist; otherwise
  /// waits for one. Errors: Cancelled when `stop` is (or gets) stopped, Unavailable when
  /// maxWait passes. Opens no connection (Poco connects on the first request).
  Result<Lease> acquire(const dms::http::StopSignal& stop);

  /// Sessions made so far (for tests: proves reuse).
  std::size_t sessionsCreatedForTest() const;

 private:
  void giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session, bool reusable);
  std::unique_ptr<Poco::Net::HTTPClientSession> makeSession() const;

  Settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle_;
  std::size_t outstanding_ = 0;  ///< sessions that exist (idle or leased)
  std::size_t created_ = 0;
};

}  // namespace dms::webdav
