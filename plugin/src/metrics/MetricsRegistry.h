#pragma once
/// A small metrics registry, rendered in the Prometheus text exposition format (version 0.0.4):
/// counters, gauges and one histogram type, each a family with HELP and TYPE and one series per
/// label set. One registry per plugin object (no globals: two plugins in one host keep their
/// own numbers).
///
/// Series are registered when the owner is built and never removed; they are updated with
/// atomics (no lock), so counting costs nothing worth measuring on the paths that count. A
/// sampled family reads its values from elsewhere at render time (a depth, a count of rows, the
/// counters an HTTP client keeps itself): the value is then kept in one place only.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ambita::metrics {

/// Label names and values of one series, in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

/// Only ever goes up (Prometheus restarts it at 0 with the process).
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Goes up and down (things in flight, depths).
class Gauge {
 public:
  void add(std::int64_t n) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

/// Counts observations into fixed buckets (upper bounds, ascending; +Inf is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upperBounds);
  void observe(double value) noexcept;

  struct Snapshot {
    std::vector<double> upperBounds;        ///< without +Inf
    std::vector<std::uint64_t> cumulative;  ///< per bound, then the +Inf bucket (= count)
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> upperBounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  ///< not cumulative; last: above all
  std::atomic<double> sum_{0};
};

/// One value of a sampled family.
struct Sample {
  Labels labels;
  double value = 0;
};

class Registry {
 public:
  enum class Type { Counter, Gauge, Histogram };

  /// Registers one series of a family (the family is created by its first series; later ones
  /// must give the same type). `name` is the family's name: a counter's ends in `_total`.
  /// The references stay valid as long as the registry.
  Counter& counter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       std::vector<double> upperBounds, Labels labels = {});
  /// A counter or gauge family whose samples `read` returns when rendering. `read` runs on the
  /// rendering thread and must not throw.
  void sampled(const std::string& name, const std::string& help, Type type,
               std::function<std::vector<Sample>()> read);

  /// Every family in the order registered, HELP and TYPE first, one sample per line.
  std::string render() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::deque<Series> series;
    std::function<std::vector<Sample>()> read;  ///< set for a sampled family
  };
  /// Adds `series` (its instrument made) to the family `name`, creating the family.
  Series& addSeries(const std::string& name, const std::string& help, Type type, Series series);

  /// Guards the lists of families and series, never a value, and is never held while a
  /// sampled family is read.
  mutable std::mutex mutex_;
  std::deque<Family> families_;
};

/// The exposition format's escapes: a label value escapes backslash, double quote and newline;
/// HELP text escapes backslash and newline.
std::string escapeLabelValue(std::string_view value);
std::string escapeHelp(std::string_view text);
/// A sample value as the format writes it: integers without a fraction, "+Inf", "-Inf", "NaN".
std::string formatValue(double value);
/// `{a="x",b="y"}`, or nothing for no labels.
std::string formatLabels(const Labels& labels);

}  // namespace ambita::metrics
