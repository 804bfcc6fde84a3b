#pragma once
/// Keeps the host's HTTP listener available to everyone while some clients are slow, idle or
/// many: every request (headers and body) must arrive whole within a deadline however slowly
/// it trickles in (per-read timeouts alone let one byte every few seconds hold a worker thread
/// for hours), its answer must be taken within a deadline too (a client that never reads would
/// block the worker's write), and one client address may hold only so many worker threads at
/// once.
///
/// One watchdog thread shuts down (never closes: the worker still owns the descriptor) the
/// socket of a connection whose deadline passed; the worker's blocking read then returns at
/// once and the connection ends. Thread-safe. No lock is held across network I/O.

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

#include "dms/Logger.h"

namespace dms::host {

struct ListenerLimits {
  /// A whole request must arrive within this after its connection is served (or after the
  /// previous answer on a keep-alive connection), and its answer must be taken within this.
  std::chrono::milliseconds requestDeadline{10'000};
  /// Connections one client address may have served at once; more are answered 503 at once.
  std::size_t maxConnectionsPerAddress = 8;
};

class ConnectionGuard {
 public:
  /// The logger must outlive the guard. Starts the watchdog thread.
  ConnectionGuard(ListenerLimits limits, Logger& logger);
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

  /// Registers a connection a worker starts serving, with the deadline for its first request
  /// armed. Null when its address already holds maxConnectionsPerAddress connections, or when
  /// the guard is closing; the caller then refuses the connection.
  std::unique_ptr<Admission> admit(const Poco::Net::StreamSocket& socket);

  /// The request on `socket` was read whole: no deadline while it is handled.
  void requestRead(const Poco::Net::Socket& socket);
  /// The answer is ready to be sent: the client must take it within a fresh deadline (one that
  /// never reads would block the worker's write for as long as it keeps the connection open).
  void answering(const Poco::Net::Socket& socket);
  /// The answer was sent: the next request on this keep-alive connection gets a fresh deadline.
  void answerSent(const Poco::Net::Socket& socket);

  /// Refuses new connections and shuts down every registered one (ends idle keep-alive
  /// connections and slow reads at once), then ends the watchdog thread. Idempotent.
  void stop() noexcept;

 private:
  struct Connection {
    Poco::Net::StreamSocket socket;  // a reference: keeps the descriptor until released
    std::string address;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    bool answering = false;  ///< the deadline is for taking the answer, not for sending a request
  };

  void release(Poco::Net::SocketImpl* key) noexcept;
  void setDeadline(const Poco::Net::Socket& socket, bool armed, bool answering);
  void watch();

  const ListenerLimits limits_;
  Logger& logger_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Poco::Net::SocketImpl*, Connection> connections_;
  std::map<std::string, std::size_t> perAddress_;
  bool closing_ = false;
  std::thread watchdog_;
};

}  // namespace dms::host
