#include "filing/TaskPool.h"

namespace ambita::filing {

TaskPool::TaskPool(std::size_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

TaskPool::~TaskPool() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void TaskPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void TaskPool::runAll(std::vector<std::function<void()>> tasks) {
  std::mutex doneMutex;
  std::condition_variable doneCv;
  std::size_t remaining = tasks.size();
  for (auto& task : tasks) {
    submit([&, task = std::move(task)] {
      try {
        task();
      } catch (...) {  // NOLINT: a task's failure is reported by the task itself
      }
      std::lock_guard lock(doneMutex);
      if (--remaining == 0) doneCv.notify_all();
    });
  }
  std::unique_lock lock(doneMutex);
  doneCv.wait(lock, [&] { return remaining == 0; });
}

void TaskPool::loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (...) {  // NOLINT: never let a task kill the pool thread
    }
  }
}

}  // namespace ambita::filing
