#pragma once
/// Keep-alive HTTP(S) sessions, reused per origin and bounded per origin (the bound is also the
/// client's concurrency limit towards one host). TLS goes through one Poco::Net::Context per
/// origin owned by the pool, handed to each HTTPSClientSession: the process-wide SSLManager is
/// never configured.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include "api/ClientOptions.h"
#include "api/Origin.h"
#include "dms/Error.h"

namespace ambita::api {

class SessionPool {
 public:
  struct Settings {
    std::chrono::milliseconds connectTimeout{10'000};
    std::chrono::milliseconds readTimeout{60'000};
    int maxPerOrigin = 4;
    /// Longest wait in acquire() for a session to come back.
    std::chrono::milliseconds maxWait{300'000};
    std::string caFile;  ///< empty: system CAs
    TlsVerification verification = TlsVerification::Strict;
  };

  /// A session lent to one caller. Returned to the pool when destroyed, unless discard() was
  /// called or the connection is closed. Move-only; must not outlive the pool.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();

    Poco::Net::HTTPClientSession& session() { return *session_; }
    /// The connection's state is unknown (error mid-exchange, body not fully read): close it.
    void discard() { discard_ = true; }
    /// True when the session had been used before (its connection may have gone stale).
    bool reused() const { return reused_; }

   private:
    friend class SessionPool;
    Lease(SessionPool* pool, std::string key, std::unique_ptr<Poco::Net::HTTPClientSession> s,
          bool reused);
    SessionPool* pool_;
    std::string key_;
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    bool reused_ = false;
    bool discard_ = false;
  };

  explicit SessionPool(Settings settings);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  /// Lends a session to `origin`, waiting while maxPerOrigin are lent out (at most
  /// Settings::maxWait). `fresh` skips idle sessions (a new connection: used for requests that
  /// must not meet a stale connection). Thread-safe; opens no connection (the session connects
  /// on its first request, outside the pool's lock). Errors: Cancelled when `cancelled()` turns
  /// true while waiting; Unavailable when maxWait passes; Internal / InvalidArgument when the
  /// TLS context cannot be built (e.g. unreadable CA file).
  dms::Result<Lease> acquire(const Origin& origin, bool fresh,
                             const std::function<bool()>& cancelled);

  /// Closes every idle session (lent ones close when returned). Thread-safe.
  void closeIdle();

  /// Number of sessions currently idle for `origin` (tests).
  std::size_t idleCountForTest(const Origin& origin);

 private:
  struct Slot {
    int lent = 0;
    std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle;
    Poco::Net::Context::Ptr context;
  };
  void giveBack(const std::string& key, std::unique_ptr<Poco::Net::HTTPClientSession> s);
  dms::Result<Poco::Net::Context::Ptr> contextFor(Slot& slot, const Origin& origin);

  Settings settings_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::map<std::string, Slot> slots_;
};

}  // namespace ambita::api
