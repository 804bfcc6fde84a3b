#include "api/HashPipeline.h"

#include <pthread.h>

#include <algorithm>
#include <exception>

namespace ambita::api {

HashPipeline::HashPipeline(Sha256& sha, Shape shape)
    : sha_(sha),
      shape_{std::max<std::size_t>(shape.slots, 2), std::max<std::size_t>(shape.slotBytes, 1)},
      // Not zeroed: every byte hashed was received into it first.
      memory_(std::make_unique_for_overwrite<char[]>(shape_.slots * shape_.slotBytes)),
      lengths_(shape_.slots, 0),
      thread_([this] { hashSlots(); }) {
  // Named, so that `top -H`, a debugger and the tests tell it from the host's threads; here,
  // so that the name is set by the time the pipeline exists. Only a name: a failure is ignored.
  pthread_setname_np(thread_.native_handle(), kThreadName);
}

HashPipeline::~HashPipeline() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

std::span<char> HashPipeline::acquire() {
  std::unique_lock lock(mutex_);
  // The slot about to be filled held the bytes submitted a ring ago: wait until they are hashed.
  // The hasher does nothing but hash, so this ends within a ring's hashing time.
  changed_.wait(lock, [&] { return failure_ || hashed_ + shape_.slots > submitted_; });
  if (failure_) return {};
  return {memory_.get() + (submitted_ % shape_.slots) * shape_.slotBytes, shape_.slotBytes};
}

void HashPipeline::submit(std::size_t length) {
  {
    std::lock_guard lock(mutex_);
    lengths_[submitted_ % shape_.slots] = std::min(length, shape_.slotBytes);
    ++submitted_;
  }
  changed_.notify_all();
}

bool HashPipeline::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || hashed_ == submitted_; });
  return !failure_;
}

std::string HashPipeline::error() const {
  std::lock_guard lock(mutex_);
  return failure_.value_or(std::string());
}

void HashPipeline::hashSlots() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || hashed_ < submitted_; });
    if (stopping_) return;
    const std::size_t slot = hashed_ % shape_.slots;
    const std::size_t length = lengths_[slot];
    lock.unlock();
    std::optional<std::string> failed;
    try {
      sha_.update(memory_.get() + slot * shape_.slotBytes, length);
    } catch (const std::exception& e) {
      failed = e.what();
    }
    lock.lock();
    if (failed) {
      // Nothing after a gap in the bytes would be the body's hash: stop here, the download
      // fails with this (acquire() and drain() return it).
      failure_ = "hashing the download failed: " + *failed;
      changed_.notify_all();
      return;
    }
    ++hashed_;
    changed_.notify_all();
  }
}

}  // namespace ambita::api
