#pragma once
/// Runs the jobs of a plan (0 .. count-1) on up to `workers` threads at once and hands their
/// results to the calling thread strictly in plan order (issue 15: `sync` reconciles several
/// orders at once, yet prints them as the plan lists them).
///
/// Memory stays bounded, whatever `count`: a job starts only while it is fewer than
/// kJobsAheadPerWorker × workers ahead of the oldest result not yet delivered, so at most that
/// many results wait for their predecessors. With one worker everything runs on the calling
/// thread, one job after the other, each delivered as soon as it is done (no thread at all).
///
/// `work(i)` runs on a worker thread, one job per thread at a time, and must not throw (turn
/// an exception into a failed result). `deliver(i, result)` runs on the calling thread; if it
/// throws, the jobs not yet started are abandoned, the running ones finish, every thread is
/// joined and the exception goes on. Every thread is joined before the function returns. No
/// lock is held while a job or a delivery runs; a wait here is a wait for a running job, which
/// bounds its own time (deadlines, stop()).

#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace ambita::commands {

/// How far ahead of the oldest undelivered job a worker may start one, per worker: room for a
/// slow job without holding up the others, and a bound on the results kept waiting.
inline constexpr std::size_t kJobsAheadPerWorker = 4;

template <class Result, class Work, class Deliver>
void runInPlanOrder(std::size_t count, std::size_t workers, Work&& work, Deliver&& deliver) {
  if (workers <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) {
      Result result = work(i);
      deliver(i, result);
    }
    return;
  }
  const std::size_t window = workers * kJobsAheadPerWorker;
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::size_t, Result> finished;  // done, waiting for their predecessors' delivery
  std::size_t nextToStart = 0;
  std::size_t delivered = 0;  // jobs 0 .. delivered-1 have been handed to deliver
  bool abandoned = false;     // deliver threw: start nothing more

  auto workerLoop = [&] {
    for (;;) {
      std::size_t job;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] {
          return abandoned || nextToStart >= count || nextToStart < delivered + window;
        });
        if (abandoned || nextToStart >= count) return;
        job = nextToStart++;
      }
      Result result = work(job);
      {
        std::lock_guard lock(mutex);
        finished.emplace(job, std::move(result));
      }
      changed.notify_all();
    }
  };
  // Declared after everything the workers use, so that the threads are joined first.
  struct JoinAll {
    std::vector<std::thread> threads;
    std::mutex& mutex;
    std::condition_variable& changed;
    bool& abandoned;
    ~JoinAll() {
      {
        std::lock_guard lock(mutex);
        abandoned = true;  // a no-op after a complete run: every job has started
      }
      changed.notify_all();
      for (auto& t : threads) t.join();
    }
  } pool{{}, mutex, changed, abandoned};
  const std::size_t threads = workers < count ? workers : count;
  for (std::size_t t = 0; t < threads; ++t) pool.threads.emplace_back(workerLoop);

  for (std::size_t i = 0; i < count; ++i) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return finished.count(i) > 0; });
    auto node = finished.extract(i);
    delivered = i + 1;
    lock.unlock();
    changed.notify_all();
    deliver(i, node.mapped());
  }
}

}  // namespace ambita::commands
