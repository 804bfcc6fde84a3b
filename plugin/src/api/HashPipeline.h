#pragma once
/// SHA-256 of a big download on a thread of its own (issue 15 row 3): a fixed ring of slots the
/// download's thread receives into while the hashing thread hashes the slots already filled, in
/// the order they were filled. On one thread, SHA-256 (~1.7 GB/s here) took a third of a 2 GiB
/// download's CPU beside the receive and the write into the target; with the hash aside, that
/// thread pays one copy out of a slot instead (tests/bench/README.md, branch bigpipe).
///
/// Bounded: the slots are the only memory (allocated once), the download waits for a slot only
/// while the hasher is behind by the whole ring, and the hasher only ever hashes (no I/O, no
/// other wait), so that wait is CPU work of at most a ring's bytes. No thread outlives the
/// pipeline: the destructor stops and joins it. Not thread-safe beyond that split: one thread
/// calls every member function.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "api/Sha256.h"

namespace ambita::api {

class HashPipeline {
 public:
  /// The hashing thread's name (at most 15 characters, Linux's limit).
  static constexpr const char* kThreadName = "dms-sha256";

  struct Shape {
    std::size_t slots = 4;            ///< at least 2: one filled while another is hashed
    std::size_t slotBytes = 1 << 20;  ///< the most one slot holds
  };

  /// Starts the hashing thread, which feeds `sha` (it must outlive the pipeline and is touched by
  /// no one else until drain() returned). Throws std::system_error when no thread can start.
  HashPipeline(Sha256& sha, Shape shape);
  /// Stops the hashing thread (what it was not yet given is not hashed) and joins it.
  ~HashPipeline();
  HashPipeline(const HashPipeline&) = delete;
  HashPipeline& operator=(const HashPipeline&) = delete;

  /// The next slot to fill, once the hasher is done with the bytes it held a ring ago; empty
  /// when hashing failed (error() says why). The caller may read the slot's bytes until its next
  /// acquire(): the hasher only reads them too.
  std::span<char> acquire();
  /// Hands the slot the last acquire() gave, filled with its first `length` bytes, to the hasher.
  void submit(std::size_t length);
  /// Waits until every byte submitted is hashed: `sha` is the caller's again. False when
  /// hashing failed (error() says why).
  bool drain();
  /// Why hashing failed, once it did.
  std::string error() const;

 private:
  void hashSlots();

  Sha256& sha_;
  const Shape shape_;
  const std::unique_ptr<char[]> memory_;
  std::vector<std::size_t> lengths_;  ///< bytes in each slot, set by submit()

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t submitted_ = 0;  ///< slots handed to the hasher, in all
  std::size_t hashed_ = 0;     ///< of those, hashed
  bool stopping_ = false;
  std::optional<std::string> failure_;
  std::thread thread_;  ///< last: started once every member above exists
};

}  // namespace ambita::api
