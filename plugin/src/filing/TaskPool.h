#pragma once
/// A small fixed pool of threads running queued tasks: the bound on downloads in flight
/// (filing.concurrency), shared by every order reconciled in the process. Not a thread per
/// file. Threads start in the constructor and are joined in the destructor after the queue has
/// drained (tasks check their own stop flag to finish quickly).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ambita::filing {

class TaskPool {
 public:
  explicit TaskPool(std::size_t threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  /// Queues `task`; it runs on one of the pool's threads. Tasks must not throw (an escaping
  /// exception is swallowed) and must not wait for other tasks of the same pool.
  void submit(std::function<void()> task);

  /// Runs every task on the pool and returns when all have finished.
  void runAll(std::vector<std::function<void()>> tasks);

  std::size_t size() const { return threads_.size(); }

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ambita::filing
