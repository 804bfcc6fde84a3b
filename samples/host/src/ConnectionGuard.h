#pragma once
/// Keeps the host's HTTP listener available to everyone while some clients are slow, idle or
/// many: every request (headers and body) must arrive whole within a deadline however slowly
/// it trickles in (per-read timeouts alone let one byte every few seconds hold a worker thread
/// for hours), its answer must be taken within a deadline too (a client that never reads would
/// block the worker's write), and one client address may have only so many connections at
/// once, counted when they are accepted, those waiting for a worker included (so that a few
/// addresses cannot fill the queue either).
///
/// Under pressure (every worker busy and connections waiting for one), a connection that has
/// not sent a whole request within kPressureGrace gives its worker up, longest-waiting first,
/// one for each connection waiting: legitimate clients send a request's head and small body at
/// once, idle or trickling ones would otherwise hold every worker for the whole deadline.
/// Without pressure the deadline alone applies (slow clients are served).
///
/// What this does not cover: many addresses, each within its cap, can still keep a
/// thread-per-connection listener busy (about ten at the default cap of 8 fill the 16 workers and
/// the 64 places in the queue); that needs a proxy or firewall in front.
///
/// One watchdog thread shuts down (never closes: the worker still owns the descriptor) the
/// socket of a connection whose deadline passed or that is cut under pressure; the worker's
/// blocking read then returns at once and the connection ends. Thread-safe. No lock is held
/// across network I/O.
///
/// What clients cause at will is logged bounded (dms::http::RefusalLog): of the connections
/// refused, of those closed, and of the requests the listener refuses (refusedRequests()), the
/// first of each minute in full and the rest as one line with their count, which the watchdog
/// logs once the minute has passed and stop() logs at once.

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dms/Logger.h"
#include "dms/http/RefusalLog.h"

namespace dms::host {

struct ListenerLimits {
  /// A whole request must arrive within this after its connection is served (or after the
  /// previous answer on a keep-alive connection), and its answer must be taken within this.
  std::chrono::milliseconds requestDeadline{10'000};
  /// Connections one client address may have open at once, served or waiting for a worker;
  /// more are answered 503 at once.
  std::size_t maxConnectionsPerAddress = 8;
};

class ConnectionGuard {
 public:
  /// Under pressure, how long a served connection may go without a whole request. A client
  /// sends a request's head and small body in one go; a second covers a few round trips of a
  /// distant or busy client, and an idle or trickling one frees its worker within it.
  static constexpr std::chrono::milliseconds kPressureGrace{1000};

  /// `workers`: the listener's worker threads; `maxQueued`: connections that may wait for one
  /// (more are refused, never handed to a full queue that would drop them unseen). The logger
  /// must outlive the guard; `clock` times the refusal logs' minutes (tests move it). Starts
  /// the watchdog thread.
  ConnectionGuard(ListenerLimits limits, std::size_t workers, std::size_t maxQueued, Logger& logger,
                  http::SecondsClock clock = http::steadySeconds());
  /// stop().
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  /// A served connection's registration: unregisters on destruction.
  class Admission {
   public:
    Admission(ConnectionGuard& guard, Poco::Net::SocketImpl* key) : guard_(guard), key_(key) {}
    ~Admission() { guard_.release(key_); }
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;

   private:
    ConnectionGuard& guard_;
    Poco::Net::SocketImpl* key_;
  };

  /// A connection just accepted, before it waits for a worker: counts it against its address.
  /// False (logged; the caller refuses the connection) when its address already has
  /// maxConnectionsPerAddress connections, when `maxQueued` connections wait already, or when
  /// the guard is closing. A connection the server drops without serving it is released by
  /// the watchdog once the guard holds the last reference to its socket.
  bool accept(const Poco::Net::StreamSocket& socket);

  /// A worker starts serving an accepted connection: arms the deadline for its first request.
  /// Null when the guard is closing (or the connection was never accepted); the caller then
  /// ends it.
  std::unique_ptr<Admission> serve(const Poco::Net::StreamSocket& socket);

  /// The request on `socket` was read whole: no deadline while it is handled.
  void requestRead(const Poco::Net::Socket& socket);
  /// The answer is ready to be sent: the client must take it within a fresh deadline (one that
  /// never reads would block the worker's write for as long as it keeps the connection open).
  void answering(const Poco::Net::Socket& socket);
  /// The answer was sent: the next request on this keep-alive connection gets a fresh deadline.
  void answerSent(const Poco::Net::Socket& socket);

  /// The log of requests the listener refuses (413, 400): bounded like the guard's own.
  http::RefusalLog& refusedRequests() { return refusedRequests_; }

  /// Refuses new connections and shuts down every registered one (ends idle keep-alive
  /// connections, slow reads and connections still waiting for a worker at once), then ends
  /// the watchdog thread. Logs the counts the refusal logs hold back (every call: requests in
  /// flight may still be refused after the first). Idempotent.
  void stop() noexcept;

 private:
  using Clock = std::chrono::steady_clock;
  struct Connection {
    Poco::Net::StreamSocket socket;  // a reference: keeps the descriptor until released
    std::string address;
    bool served = false;  ///< a worker took it; until then it waits in the server's queue
    std::optional<Clock::time_point> deadline;
    bool answering = false;  ///< the deadline is for taking the answer, not for sending a request
    Clock::time_point waitingSince;  ///< when it began waiting for a request (if !answering)
    bool ending = false;             ///< shut down by the watchdog, not released yet
  };
  /// A connection to shut down, and why (for the log: `reason` in full, `kind` when counted).
  struct Closing {
    Poco::Net::StreamSocket socket;
    std::string address;
    std::string reason;
    const char* kind;
  };

  void release(Poco::Net::SocketImpl* key) noexcept;
  void forget(std::map<Poco::Net::SocketImpl*, Connection>::iterator found) noexcept;
  void setDeadline(const Poco::Net::Socket& socket, bool armed, bool answering);
  void watch();
  /// The connections whose deadline passed (the deadline is disarmed: shut down once).
  std::vector<Closing> expired(Clock::time_point now, Clock::time_point& wakeAt);
  /// Under pressure, a served connection without a whole request after kPressureGrace for each
  /// connection waiting for a worker (and not yet made room for), longest-waiting first.
  std::vector<Closing> makeRoom(Clock::time_point now, Clock::time_point& wakeAt);
  /// Forgets the accepted connections the server dropped without serving them.
  void forgetDropped() noexcept;
  /// Logs the held-back counts of the refusal logs: of the minutes passed, or all (`now`).
  void flushRefusals(bool now) noexcept;

  const ListenerLimits limits_;
  const std::size_t workers_;
  const std::size_t maxQueued_;
  http::RefusalLog refusedConnections_;
  http::RefusalLog closedConnections_;
  http::RefusalLog refusedRequests_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Poco::Net::SocketImpl*, Connection> connections_;
  std::map<std::string, std::size_t> perAddress_;
  std::size_t served_ = 0;  ///< connections of connections_ a worker holds
  bool closing_ = false;
  std::thread watchdog_;
};

}  // namespace dms::host
