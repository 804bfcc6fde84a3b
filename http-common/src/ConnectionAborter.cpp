#include "dms/http/ConnectionAborter.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include <Poco/Exception.h>

#include "TcpProgress.h"

namespace dms::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// "2 s", or "1500 ms" when not whole seconds.
std::string spoken(milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

/// How often an idle watchdog looks at the set when it has seen no read timeout yet.
constexpr milliseconds kIdleTick{1000};
/// The watchdog never wakes more often than this (a read timeout of a few milliseconds).
constexpr milliseconds kShortestTick{10};

/// The request body's low-speed limit counts the bytes the server acknowledged (tcpBytesAcked):
/// what it accepted, whatever the size of the sender's writes (one write of 64 KiB waits for
/// the whole to fit, so a count of the bytes written moves in steps too coarse for the limit).
constexpr const char* kAcceptedBody = "the server accepted the request body";

}  // namespace

struct ConnectionAborter::Watch::Entry {
  enum Phase : int { Sending, Head, Body, Whole };

  Entry(int descriptor, milliseconds timeout, const std::atomic<std::uint64_t>* bodyBytes)
      : fd(descriptor),
        window(timeout),
        received(bodyBytes),
        startBytes(bodyBytes != nullptr ? bodyBytes->load(std::memory_order_relaxed) : 0) {}
  ~Entry() { ::close(fd); }
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  void cut() noexcept { ::shutdown(fd, SHUT_RDWR); }

  void enter(Phase next, Clock::time_point from = Clock::now()) noexcept {
    since.store(from.time_since_epoch().count(), std::memory_order_relaxed);
    phase.store(next, std::memory_order_release);
  }

  /// The watchdog's look at this entry (under the set's mutex): cuts it when past a deadline.
  void check(Clock::time_point now, const std::string& setting) {
    if (expired.load() || aborted.load() || window.count() <= 0) return;
    const int current = phase.load(std::memory_order_acquire);
    const Clock::time_point started{Clock::duration(since.load(std::memory_order_relaxed))};
    if (current == Whole) {
      if (now - started >= window)
        expire("the whole exchange (request and answer) did not end within " + spoken(window) +
               " (" + setting + ")");
      return;
    }
    if (current == Head) {
      checkHead(now, started, setting);
      return;
    }
    if (current == Body && received != nullptr) {
      const std::uint64_t bytes = received->load(std::memory_order_relaxed);
      if (windowPhase != Body) startWindow(Body, started, startBytes);
      keepSpeed(now, bytes, waiting.load(std::memory_order_relaxed),
                "the body of the answer arrived", setting);
    } else if (current == Sending) {
      if (!waiting.load(std::memory_order_relaxed)) {
        windowPhase = -1;  // the sender's own time (reading its content): a new window next
        return;
      }
      // Asked only while the sender waits in a send: the sender's path pays no syscall.
      const auto acked = tcpBytesAcked(fd);
      if (!acked) return;
      if (windowPhase != Sending) startWindow(Sending, now, *acked);
      keepSpeed(now, *acked, true, kAcceptedBody, setting);
    }
  }

  /// The head's deadline, which starts once the server has taken the whole request: the last
  /// send only put it into the kernel's buffers, which a server slow to read a big upload
  /// (above the limit) may take longer than a read timeout to empty.
  void checkHead(Clock::time_point now, Clock::time_point started, const std::string& setting) {
    if (windowPhase != Head) {
      startWindow(Head, started, 0);
      headFrom = started;
      draining = false;
    }
    if (!draining && now - headFrom < window) return;  // the normal path: no syscall
    const auto acked = tcpBytesAcked(fd);
    if (acked && tcpBytesUnacknowledged(fd) > 0) {
      if (!draining) startWindow(Head, now, *acked);
      draining = true;
      keepSpeed(now, *acked, true, kAcceptedBody, setting);
      return;
    }
    if (draining) {
      draining = false;
      headFrom = now;  // all taken: the head's deadline starts now
      return;
    }
    expire("the status line and headers of the answer did not arrive within " + spoken(window) +
           " (" + setting + ")");
  }

  void startWindow(int forPhase, Clock::time_point start, std::uint64_t bytes) {
    windowPhase = forPhase;
    windowStart = start;
    windowBytes = bytes;
  }

  /// The low-speed limit, for the body sent or received: at least kMinBytesPerWindow of
  /// `bytes` (a count that only grows) in every window spent `waitingNow` in a send or a read.
  void keepSpeed(Clock::time_point now, std::uint64_t bytes, bool waitingNow, const char* what,
                 const std::string& setting) {
    if (!waitingNow || bytes - windowBytes >= kMinBytesPerWindow) {
      // The caller is busy elsewhere (its own time), or the server kept up: a new window.
      startWindow(windowPhase, now, bytes);
      return;
    }
    if (now - windowStart >= window) {
      const auto waited = std::chrono::duration_cast<milliseconds>(now - windowStart);
      expire(std::string(what) + " slower than " + std::to_string(kMinBytesPerWindow) +
             " bytes per " + spoken(window) + " (" + setting +
             "): " + std::to_string(bytes - windowBytes) + " bytes in " + spoken(waited));
    }
  }

  void expire(std::string reason) noexcept {
    why = std::move(reason);
    expired.store(true);  // after `why`: a reader seeing it reads the reason whole
    cut();
  }

  const int fd;                                      ///< the duplicate, ours alone
  const milliseconds window;                         ///< the session's read timeout
  const std::atomic<std::uint64_t>* const received;  ///< the session's body bytes, ever
  const std::uint64_t startBytes;
  std::atomic<bool> aborted{false};
  std::atomic<bool> expired{false};
  std::string why;  ///< set once, before `expired`
  // Written by the reader.
  std::atomic<int> phase{Sending};
  std::atomic<Clock::rep> since{0};  ///< when the phase began
  std::atomic<bool> waiting{false};  ///< in a read of the body or a send of the request's
  // The watchdog's own.
  int windowPhase = -1;        ///< the phase the low-speed window below counts for
  Clock::time_point headFrom;  ///< when the head's deadline started
  bool draining = false;       ///< in Head, the server still taking the request's last bytes
  Clock::time_point windowStart;
  std::uint64_t windowBytes = 0;
};

struct ConnectionAborter::Watch::Watched {
  explicit Watched(std::string setting) : timeoutSetting(std::move(setting)) {}
  const std::string timeoutSetting;
  std::mutex mutex;
  std::set<std::shared_ptr<Entry>> entries;
  // The watchdog, under `mutex`.
  std::thread watchdog;
  /// Which watchdog may run: stopWatchdog() moves it on, so a watchdog it stopped cannot be
  /// kept running by one a later watch() starts before the stopped one looked (stop, resume).
  std::uint64_t generation = 0;
  std::atomic<bool> running{false};  ///< the watchdog runs (read without the lock)
  milliseconds tick{kIdleTick};
  std::condition_variable wake;

  /// Runs until stopWatchdog(): cuts the entries past their deadlines, one look per tick.
  void runWatchdog(std::uint64_t mine) {
    std::unique_lock lock(mutex);
    while (generation == mine) {
      const auto now = Clock::now();
      for (const auto& entry : entries) entry->check(now, timeoutSetting);
      wake.wait_for(lock, tick);
    }
  }

  /// Ends the watchdog; the caller joins the thread it gets, outside the lock.
  std::thread stopWatchdog() {
    ++generation;
    running.store(false);
    return std::move(watchdog);
  }
};

namespace {

void joinStopped(std::thread watchdog, std::condition_variable& wake) noexcept {
  wake.notify_all();
  if (watchdog.joinable()) watchdog.join();
}

}  // namespace

ConnectionAborter::ConnectionAborter(std::string timeoutSetting)
    : watched_(std::make_shared<Watch::Watched>(std::move(timeoutSetting))) {}

ConnectionAborter::~ConnectionAborter() {
  std::thread watchdog;
  {
    std::lock_guard lock(watched_->mutex);
    watchdog = watched_->stopWatchdog();
  }
  joinStopped(std::move(watchdog), watched_->wake);
}

ConnectionAborter::Watch::Watch(std::shared_ptr<Watched> watched, std::shared_ptr<Entry> entry)
    : watched_(std::move(watched)), entry_(std::move(entry)) {}

ConnectionAborter::Watch::Watch(Watch&& other) noexcept
    : watched_(std::move(other.watched_)), entry_(std::move(other.entry_)) {}

ConnectionAborter::Watch& ConnectionAborter::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    release();
    watched_ = std::move(other.watched_);
    entry_ = std::move(other.entry_);
  }
  return *this;
}

ConnectionAborter::Watch::~Watch() {
  release();
}

bool ConnectionAborter::Watch::aborted() const {
  return entry_ && entry_->aborted.load();
}

bool ConnectionAborter::Watch::deadlinesWatched() const {
  return entry_ && entry_->window.count() > 0 && watched_->running.load();
}

bool ConnectionAborter::Watch::expired() const {
  return entry_ && entry_->expired.load();
}

std::string ConnectionAborter::Watch::expiredBecause() const {
  return expired() ? entry_->why : std::string();
}

void ConnectionAborter::Watch::throwIfExpired() const {
  if (expired()) throw Poco::TimeoutException(entry_->why);
}

void ConnectionAborter::Watch::awaitHead() noexcept {
  if (entry_) entry_->enter(Entry::Head);
}

void ConnectionAborter::Watch::awaitBody() noexcept {
  if (entry_) entry_->enter(Entry::Body);
}

void ConnectionAborter::Watch::awaitWhole(std::chrono::steady_clock::time_point start) noexcept {
  if (entry_) entry_->enter(Entry::Whole, start);
}

ConnectionAborter::Watch::Reading::Reading(const Watch& watch) noexcept : watch_(watch) {
  if (watch_.entry_) watch_.entry_->waiting.store(true, std::memory_order_relaxed);
}

ConnectionAborter::Watch::Reading::~Reading() {
  if (watch_.entry_) watch_.entry_->waiting.store(false, std::memory_order_relaxed);
}

void ConnectionAborter::Watch::release() noexcept {
  if (!watched_ || !entry_) return;
  {
    std::lock_guard lock(watched_->mutex);
    watched_->entries.erase(entry_);
  }
  watched_.reset();
  entry_.reset();  // closes the duplicate
}

ConnectionAborter::Watch ConnectionAborter::watch(SessionPool::Lease& lease,
                                                  const StopSignal& stop) {
  Poco::Net::HTTPClientSession& session = lease.session();
  if (!session.connected()) return {};
  const int fd = ::dup(session.socket().impl()->sockfd());
  if (fd < 0) return {};  // out of descriptors: the request runs to its timeouts as before
  const auto timeout = milliseconds(session.getTimeout().totalMilliseconds());
  auto entry = std::make_shared<Watch::Entry>(fd, timeout, &lease.bodyBytesReceived());
  Watch::Watched& watched = *watched_;
  {
    std::lock_guard lock(watched.mutex);
    watched.entries.insert(entry);
    if (timeout.count() > 0) {
      const milliseconds tick = std::max(kShortestTick, timeout / 8);
      if (!watched.watchdog.joinable()) watched.tick = tick;
      watched.tick = std::min(watched.tick, tick);
    }
    // Not after a stop: abortAll() ended it and must not find it running again.
    if (!watched.watchdog.joinable() && !stop.stopped()) {
      try {
        watched.watchdog =
            std::thread([&watched, mine = watched.generation] { watched.runWatchdog(mine); });
        watched.running.store(true);
      } catch (const std::system_error&) {
        // No thread to be had: the request runs to its per-receive timeouts as before.
      }
    }
  }
  // abortAll() stops the signal before it looks at the set: either it saw this entry, or the
  // signal is seen here.
  if (stop.stopped()) {
    entry->aborted = true;
    entry->cut();
  }
  return Watch(watched_, std::move(entry));
}

void ConnectionAborter::abortAll() noexcept {
  std::thread watchdog;
  {
    std::lock_guard lock(watched_->mutex);
    for (const auto& entry : watched_->entries) {
      entry->aborted = true;
      entry->cut();
    }
    watchdog = watched_->stopWatchdog();
  }
  joinStopped(std::move(watchdog), watched_->wake);
}

}  // namespace dms::http
