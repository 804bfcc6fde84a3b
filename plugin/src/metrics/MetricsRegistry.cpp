#include "metrics/MetricsRegistry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace ambita::metrics {
namespace {

const char* typeName(Registry::Type type) {
  switch (type) {
    case Registry::Type::Counter:
      return "counter";
    case Registry::Type::Gauge:
      return "gauge";
    case Registry::Type::Histogram:
      return "histogram";
  }
  return "untyped";
}

bool validName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

/// The labels with one more appended (a histogram bucket's `le`).
Labels with(Labels labels, std::string name, std::string value) {
  labels.emplace_back(std::move(name), std::move(value));
  return labels;
}

void renderLine(std::string& out, const std::string& name, const Labels& labels, double value) {
  out += name;
  out += formatLabels(labels);
  out += ' ';
  out += formatValue(value);
  out += '\n';
}

void renderHistogram(std::string& out, const std::string& name, const Labels& labels,
                     const Histogram::Snapshot& snapshot) {
  for (std::size_t i = 0; i < snapshot.upperBounds.size(); ++i)
    renderLine(out, name + "_bucket", with(labels, "le", formatValue(snapshot.upperBounds[i])),
               static_cast<double>(snapshot.cumulative[i]));
  const auto count = static_cast<double>(snapshot.cumulative.back());
  renderLine(out, name + "_bucket", with(labels, "le", "+Inf"), count);
  renderLine(out, name + "_sum", labels, snapshot.sum);
  renderLine(out, name + "_count", labels, count);
}

/// Refuses a name the format does not allow, and a counter's without the `_total` suffix.
void checkFamilyName(const std::string& name, bool counter) {
  if (!validName(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
  if (counter && !name.ends_with("_total"))
    throw std::invalid_argument("counter '" + name + "' must end in _total");
}

/// Backslash and newline escaped, and with `quotes` the double quote too.
std::string escaped(std::string_view text, bool quotes) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || (quotes && c == '"')) out += '\\';
    if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> upperBounds)
    : upperBounds_(std::move(upperBounds)),
      buckets_(new std::atomic<std::uint64_t>[upperBounds_.size() + 1]) {
  if (!std::is_sorted(upperBounds_.begin(), upperBounds_.end()) ||
      std::adjacent_find(upperBounds_.begin(), upperBounds_.end()) != upperBounds_.end())
    throw std::invalid_argument("histogram bounds must be strictly ascending");
  for (std::size_t i = 0; i <= upperBounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) noexcept {
  // The first bucket whose bound is >= value ("le"); above every bound: the last slot.
  const auto slot = static_cast<std::size_t>(
      std::lower_bound(upperBounds_.begin(), upperBounds_.end(), value) - upperBounds_.begin());
  buckets_[slot].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upperBounds = upperBounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= upperBounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

Registry::Series& Registry::addSeries(const std::string& name, const std::string& help, Type type,
                                      Series series) {
  checkFamilyName(name, type == Registry::Type::Counter);
  for (const auto& [label, value] : series.labels)
    if (!validName(label) || label.find(':') != std::string::npos || label.starts_with("__"))
      throw std::invalid_argument("metric '" + name + "': invalid label name '" + label + "'");
  std::lock_guard lock(mutex_);
  auto family = std::find_if(families_.begin(), families_.end(),
                             [&](const Family& f) { return f.name == name; });
  if (family == families_.end()) {
    families_.push_back(Family{name, help, type, {}, {}});
    family = std::prev(families_.end());
  } else if (family->type != type || family->read) {
    throw std::invalid_argument("metric '" + name + "' registered twice with different types");
  }
  family->series.push_back(std::move(series));
  return family->series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help, Labels labels) {
  auto made = std::make_unique<Counter>();
  Counter& counter = *made;
  addSeries(name, help, Type::Counter, Series{std::move(labels), std::move(made), {}, {}});
  return counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, Labels labels) {
  auto made = std::make_unique<Gauge>();
  Gauge& gauge = *made;
  addSeries(name, help, Type::Gauge, Series{std::move(labels), {}, std::move(made), {}});
  return gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> upperBounds, Labels labels) {
  auto made = std::make_unique<Histogram>(std::move(upperBounds));
  Histogram& histogram = *made;
  addSeries(name, help, Type::Histogram, Series{std::move(labels), {}, {}, std::move(made)});
  return histogram;
}

void Registry::sampled(const std::string& name, const std::string& help, Type type,
                       std::function<std::vector<Sample>()> read) {
  if (type == Type::Histogram) throw std::invalid_argument("a sampled family has no histogram");
  checkFamilyName(name, type == Registry::Type::Counter);
  std::lock_guard lock(mutex_);
  if (std::any_of(families_.begin(), families_.end(),
                  [&](const Family& f) { return f.name == name; }))
    throw std::invalid_argument("metric '" + name + "' registered twice");
  families_.push_back(Family{name, help, type, {}, std::move(read)});
}

std::string Registry::render() const {
  // What to render, taken under the lock; the values are read after it is released, so a
  // sampled family may ask a database (PostgreSQL state) without blocking registration or
  // another scrape. Families and series are never removed, and a deque keeps their addresses.
  std::vector<std::pair<const Family*, std::vector<const Series*>>> families;
  {
    std::lock_guard lock(mutex_);
    for (const auto& family : families_) {
      std::vector<const Series*> series;
      for (const auto& one : family.series) series.push_back(&one);
      families.emplace_back(&family, std::move(series));
    }
  }
  std::string out;
  for (const auto& [family, seriesList] : families) {
    out += "# HELP " + family->name + " " + escapeHelp(family->help) + "\n";
    out += "# TYPE " + family->name + " " + typeName(family->type) + "\n";
    if (family->read) {
      for (const auto& sample : family->read())
        renderLine(out, family->name, sample.labels, sample.value);
      continue;
    }
    for (const Series* series : seriesList) {
      if (series->counter)
        renderLine(out, family->name, series->labels,
                   static_cast<double>(series->counter->value()));
      else if (series->gauge)
        renderLine(out, family->name, series->labels, static_cast<double>(series->gauge->value()));
      else if (series->histogram)
        renderHistogram(out, family->name, series->labels, series->histogram->snapshot());
    }
  }
  return out;
}

std::string escapeLabelValue(std::string_view value) {
  return escaped(value, true);
}

std::string escapeHelp(std::string_view text) {
  return escaped(text, false);
}

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  // Shortest text that reads back as the same double; whole numbers come without a fraction.
  const auto written = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, written.ptr);
}

std::string formatLabels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first + "=\"" + escapeLabelValue(labels[i].second) + "\"";
  }
  return out + "}";
}

}  // namespace ambita::metrics
