#pragma once
/// The bound on downloads in flight (filing.concurrency) when the filing pool has more threads
/// than that (issue 15 row 2): for a target without a streaming put, a filing thread holds a
/// body whole and then uploads it, and while it uploads another thread may already download
/// the next file. A thread takes a slot for the download and gives it back once the body is
/// held (or, streaming, once the put has read it), so the Ambita API never sees more downloads
/// at once than configured.
///
/// A wait for a slot ends after `maxWait` (Unavailable) or at requestStop() (Cancelled), both
/// naming what waited. Thread-safe; no method throws.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>

#include "dms/Error.h"

namespace ambita::filing {

class DownloadSlots {
 public:
  DownloadSlots(std::size_t slots, std::chrono::steady_clock::duration maxWait);
  DownloadSlots(const DownloadSlots&) = delete;
  DownloadSlots& operator=(const DownloadSlots&) = delete;

  /// One download's slot; given back when destroyed or release()d.
  class [[nodiscard]] Slot {
   public:
    Slot(Slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot() { release(); }
    /// Gives the slot back now (the body is held whole: the download is over).
    void release() noexcept;

   private:
    friend class DownloadSlots;
    explicit Slot(DownloadSlots& owner) : owner_(&owner) {}
    DownloadSlots* owner_;
  };

  /// Waits for a free slot. `what` names the download in the errors.
  dms::Result<Slot> take(const std::string& what);

  /// Ends every wait now and makes later take() fail, until resetStop().
  void requestStop();
  void resetStop();

 private:
  void giveBack() noexcept;

  const std::size_t slots_;
  const std::chrono::steady_clock::duration maxWait_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t taken_ = 0;
  bool stop_ = false;
};

}  // namespace ambita::filing
