#pragma once
/// Keep-alive HTTP(S) sessions, pooled per origin and bounded per origin: at most
/// Settings::maxPerOrigin sessions exist for one origin (idle and lent together), which is also
/// the client's concurrency towards that host. A caller that finds them all lent waits, at most
/// Settings::maxWait and never past a stop. HTTPS sessions get the client's own TLS Context
/// (never the process-wide SSLManager). Both HTTP clients (the Ambita API client and the WebDAV
/// connector) use this one pool.
///
/// Always held by a std::shared_ptr (make it with create()): a Lease keeps its pool alive, so a
/// response stream holding one may outlive the client that opened it. Thread-safe; no lock is
/// held while a connection is opened or closed.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include "dms/Error.h"
#include "dms/http/Origin.h"
#include "dms/http/StopSignal.h"

namespace dms::http {

class SessionPool : public std::enable_shared_from_this<SessionPool> {
 public:
  /// The TLS context for an https origin; called once per origin, under no lock held by the
  /// caller's other sessions. An error (e.g. an unreadable CA file) fails that acquire().
  using TlsContextFactory = std::function<Result<Poco::Net::Context::Ptr>(const Origin&)>;

  struct Settings {
    std::chrono::milliseconds connectTimeout{10'000};
    std::chrono::milliseconds ioTimeout{60'000};  ///< each send and each receive
    std::size_t maxPerOrigin = 4;                 ///< 0 counts as 1
    /// Longest wait in acquire() for a lent session to come back.
    std::chrono::milliseconds maxWait{300'000};
    /// A session idle for longer reconnects instead of reusing its connection (servers close
    /// idle keep-alive connections; Apache after 5 s). Zero: Poco's default.
    std::chrono::milliseconds keepAliveTimeout{0};
    TlsContextFactory tlsContext;  ///< required for https origins
  };

  /// A session lent to one caller. Goes back to the pool when destroyed; closed instead when
  /// discard() was called or its connection is closed. Move-only.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Poco::Net::HTTPClientSession& session() { return *session_; }
    /// The connection's state is unknown (error mid-exchange, body not fully read): close it.
    void discard() { discard_ = true; }
    /// True when the session had been used before (its connection may have gone stale).
    bool reused() const { return reused_; }
    /// Reads up to `length` bytes of the current response's body straight into `buffer`: what
    /// the session has buffered, else one receive from the socket. Poco's body stream reads
    /// through a 4 KiB buffer, one receive call and two extra copies per 4 KiB, which bounds a
    /// big download (issue 15 row 3). Only for a body whose length the caller knows and counts:
    /// never ask past its end (the next response follows on the connection), and do not mix
    /// with reads through the response stream. 0 when the peer closed the connection; throws
    /// Poco's exceptions (timeout, reset) as the stream does.
    int receiveBody(char* buffer, std::streamsize length);
    /// Reads one line of framing (a chunked body's size line or trailer field) out of the
    /// session's buffer, refilled as needed: the bytes before the LF into `line` (a CR left
    /// in), not counted as body bytes. False when the peer closed the connection first or
    /// `most` bytes came without an LF (line.size() == most). Throws as receiveBody does.
    bool receiveLine(std::string& line, std::size_t most);
    /// The body bytes the session has received (through receiveBody or a response stream), ever:
    /// what ConnectionAborter's low-speed limit counts. Only the session's reader writes it.
    const std::atomic<std::uint64_t>& bodyBytesReceived() const;

   private:
    friend class SessionPool;
    Lease(std::shared_ptr<SessionPool> pool, std::string key,
          std::unique_ptr<Poco::Net::HTTPClientSession> session, bool reused);
    std::shared_ptr<SessionPool> pool_;
    std::string key_;
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    bool reused_ = false;
    bool discard_ = false;
  };

  static std::shared_ptr<SessionPool> create(Settings settings);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  /// Lends a session to `origin`: an idle one, or a new one while fewer than maxPerOrigin
  /// exist; otherwise waits for one to come back. `fresh` never reuses an idle session (a new
  /// connection, for a request that must not meet a stale one). Opens no connection (the
  /// session connects on its first request). Errors: Cancelled when `stop` is or gets
  /// stopped; Unavailable when maxWait passes; InvalidArgument when the TLS context cannot be
  /// made; Internal when Poco refuses to make a session.
  Result<Lease> acquire(const Origin& origin, bool fresh, const StopSignal& stop);

  /// Closes every idle session (lent ones close or come back later).
  void closeIdle();

  std::size_t idleCountForTest(const Origin& origin);
  /// Sessions made so far, all origins (tests: proves reuse).
  std::size_t sessionsCreatedForTest() const;

 private:
  struct Slot {
    std::size_t lent = 0;
    std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle;
    Poco::Net::Context::Ptr tlsContext;
  };
  explicit SessionPool(Settings settings);
  Result<std::unique_ptr<Poco::Net::HTTPClientSession>> makeSession(const Origin& origin,
                                                                    Poco::Net::Context::Ptr tls);
  void giveBack(const std::string& key, std::unique_ptr<Poco::Net::HTTPClientSession> session);

  Settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::map<std::string, Slot> slots_;
  std::size_t created_ = 0;
};

}  // namespace dms::http
