#pragma once
/// The connections one client's requests are using right now, so that stop() can cut them: a
/// request to a server that accepted the connection and never answers, or answers a byte a
/// minute (each receive inside the read timeout, the whole never done), ends at once instead
/// of after its read timeout, or never. The retry pauses end on the StopSignal; this ends the
/// network waits.
///
/// Each watched connection is held as a duplicate of its socket's descriptor: shutdown() on
/// the duplicate wakes the owner's blocked send or receive (both name one kernel socket), and
/// no Poco object is touched from the stopping thread. The duplicate stays open while watched,
/// so a descriptor the owner closed meanwhile can never be reused and hit. A Watch may outlive
/// its ConnectionAborter (a get() stream outliving its client). Thread-safe.

#include <memory>

#include <Poco/Net/HTTPClientSession.h>

#include "dms/http/StopSignal.h"

namespace dms::http {

class ConnectionAborter {
 public:
  /// One watched connection; stops being watched when destroyed. Move-only.
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

   private:
    friend class ConnectionAborter;
    struct Entry;
    struct Watched;
    Watch(std::shared_ptr<Watched> watched, std::shared_ptr<Entry> entry);
    void release() noexcept;
    std::shared_ptr<Watched> watched_;
    std::shared_ptr<Entry> entry_;
  };

  ConnectionAborter();
  ConnectionAborter(const ConnectionAborter&) = delete;
  ConnectionAborter& operator=(const ConnectionAborter&) = delete;
  ~ConnectionAborter();

  /// Watches the session's connection (call once it is connected, e.g. after sendRequest).
  /// When `stop` is already stopped, the connection is cut at once: a stop() that came while
  /// the request was being sent is not missed. A session without a connection is not watched.
  Watch watch(Poco::Net::HTTPClientSession& session, const StopSignal& stop);

  /// Cuts every watched connection (their sends and receives fail or end at once). Call after
  /// stopping the StopSignal given to watch(). Thread-safe, noexcept.
  void abortAll() noexcept;

 private:
  std::shared_ptr<Watch::Watched> watched_;  ///< shared with each Watch
};

}  // namespace dms::http
