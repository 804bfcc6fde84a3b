#pragma once
/// The connections one client's requests are using right now, so that they can be cut: by
/// stop() (abortAll), and by the client's own deadlines, so that nothing from outside holds a
/// call for ever.
///
/// stop(): a request to a server that accepted the connection and never answers, or answers a
/// byte a minute (each receive inside the read timeout, the whole never done), ends at once
/// instead of after its read timeout, or never. The retry pauses end on the StopSignal; this
/// ends the network waits.
///
/// Deadlines (a watchdog thread cuts a watch past its deadline): each receive is bounded by the
/// session's read timeout (Poco), but a server trickling an answer is not. So
///  - the head (status line and headers) must arrive whole within one read timeout of
///    awaitHead();
///  - the body must keep a low-speed limit, as curl's --speed-limit/--speed-time: at least
///    kMinBytesPerWindow body bytes in every read timeout spent waiting for it (a chunked body's
///    size lines and extensions are not body bytes). Only the time the reader spends in a read
///    (Reading) counts: a consumer busy elsewhere is not the server's slowness. A big body at
///    any realistic speed is never cut, however long it takes.
///  - a request body the caller sends keeps the same limit: at least kMinBytesPerWindow bytes
///    accepted by the server (acknowledged by its TCP stack) in every read timeout the sender
///    spends in a send (Sending). A server that stops reading a big upload holds the sender in
///    sends each bounded by the send timeout, the whole never done.
/// (awaitWhole() instead: one deadline for the whole of a small exchange.)
/// A watch cut this way reads expired(), and expiredBecause() says what was too slow (the
/// limit, the figure): its caller fails it as a timeout. The watchdog starts with the first
/// watch, wakes every eighth of the shortest read timeout it has seen (cuts come at most that
/// late), and ends with abortAll() (stop) or the aborter: no thread per call, none left after
/// stop. It touches only atomics the reader writes (no lock or syscall per read).
///
/// Each watched connection is held as a duplicate of its socket's descriptor: shutdown() on
/// the duplicate wakes the owner's blocked send or receive (both name one kernel socket), and
/// no Poco object is touched from the cutting thread. The duplicate stays open while watched,
/// so a descriptor the owner closed meanwhile can never be reused and hit. A Watch may outlive
/// its ConnectionAborter (a get() stream outliving its client; its deadlines then end with the
/// watchdog). Thread-safe.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "dms/http/SessionPool.h"
#include "dms/http/StopSignal.h"

namespace dms::http {

class ConnectionAborter {
 public:
  /// The low-speed limit: fewer body bytes than this (received, or accepted by the server) in a
  /// read timeout spent waiting cuts the call. 1 KiB: a server this slow (17 bytes/s at the default
  /// 60 s) is broken or hostile, and a real one sends at least a TCP segment's worth in any second
  /// it sends at all.
  static constexpr std::size_t kMinBytesPerWindow = 1024;

  /// One watched connection; stops being watched when destroyed. Move-only. Its reader (one
  /// thread at a time) calls Sending, awaitHead(), awaitBody() and Reading as it goes.
  class Watch {
   public:
    Watch() = default;
    Watch(Watch&& other) noexcept;
    Watch& operator=(Watch&& other) noexcept;
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    ~Watch();
    /// True when abort() cut this connection: what was read after it is not the server's
    /// whole answer (a body cut short may look complete to the reader).
    bool aborted() const;
    /// True when the watchdog cut this connection (head or body too slow): as aborted(), what
    /// was read after it is not the whole answer.
    bool expired() const;
    /// What was too slow, for a timeout's message ("" unless expired()).
    std::string expiredBecause() const;
    /// Throws Poco::TimeoutException(expiredBecause()) when expired(): whatever Poco made of
    /// the cut connection, the call timed out (both clients fail it as they fail a timeout).
    void throwIfExpired() const;
    /// True when the watchdog enforces this watch's deadlines: a caller may then wait past a
    /// socket timeout (a send the server's kernel has not taken whole yet, the answer to a big
    /// upload whose tail is still in the kernel's buffers) and leave the bound to the watchdog.
    bool deadlinesWatched() const;

    /// The request is sent: its answer's head must arrive within one read timeout from now.
    void awaitHead() noexcept;
    /// The head came: from now on the body's low-speed limit applies.
    void awaitBody() noexcept;
    /// Instead of the three above, for a small exchange whose whole has one deadline (dms-host's
    /// event webhook): what is left of it (sending, the head, the body) must end within one
    /// read timeout of `start` (e.g. taken before the connection was opened); no low-speed
    /// limit, however fast the bytes come.
    void awaitWhole(std::chrono::steady_clock::time_point start) noexcept;

    /// Marks one read of the body (the time waited in it counts against the limit).
    class Reading {
     public:
      explicit Reading(const Watch& watch) noexcept;
      ~Reading();
      Reading(const Reading&) = delete;
      Reading& operator=(const Reading&) = delete;

     private:
      const Watch& watch_;
    };
    /// Marks one send of the request body, before awaitHead() (the time waited in it counts
    /// against the limit, the bytes the server accepted meanwhile for it). The same mark as
    /// Reading: the phase says which way the bytes go.
    using Sending = Reading;

   private:
    friend class ConnectionAborter;
    struct Entry;
    struct Watched;
    Watch(std::shared_ptr<Watched> watched, std::shared_ptr<Entry> entry);
    void release() noexcept;
    std::shared_ptr<Watched> watched_;
    std::shared_ptr<Entry> entry_;
  };

  /// `timeoutSetting`: the option that sets the read timeout, named in expiredBecause().
  explicit ConnectionAborter(std::string timeoutSetting = "the read timeout");
  ConnectionAborter(const ConnectionAborter&) = delete;
  ConnectionAborter& operator=(const ConnectionAborter&) = delete;
  /// Ends the watchdog (the watches left are no longer cut by their deadlines).
  ~ConnectionAborter();

  /// Watches the lease's connection (call once it is connected, e.g. after sendRequest); its
  /// deadlines are the session's read timeout. When `stop` is already stopped, the connection
  /// is cut at once: a stop() that came while the request was being sent is not missed. A
  /// session without a connection is not watched.
  Watch watch(SessionPool::Lease& lease, const StopSignal& stop);

  /// Cuts every watched connection (their sends and receives fail or end at once) and ends the
  /// watchdog (the next watch() starts it again). Call after stopping the StopSignal given to
  /// watch(). Thread-safe, noexcept.
  void abortAll() noexcept;

 private:
  std::shared_ptr<Watch::Watched> watched_;  ///< shared with each Watch
};

}  // namespace dms::http
