// The metrics registry: the exact text it renders (HELP/TYPE, labels, escapes, histogram
// buckets), that the text passes the strict parser, and that bad registrations are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "metrics/MetricsRegistry.h"
#include "support/PrometheusText.h"

namespace {

using ambita::metrics::Registry;

TEST(MetricsRegistry, RendersCountersAndGaugesWithEscapedLabelsAndHelp) {
  Registry registry;
  auto& ok = registry.counter("x_calls_total", "Calls\nmade \\ so far", {{"code", "2xx"}});
  auto& odd = registry.counter("x_calls_total", "ignored", {{"code", "a\"b\\c\nd"}});
  auto& depth = registry.gauge("x_depth", "Depth");
  ok.add(3);
  odd.add();
  depth.add(5);
  depth.add(-2);
  const std::string text = registry.render();
  EXPECT_EQ(text,
            "# HELP x_calls_total Calls\\nmade \\\\ so far\n"
            "# TYPE x_calls_total counter\n"
            "x_calls_total{code=\"2xx\"} 3\n"
            "x_calls_total{code=\"a\\\"b\\\\c\\nd\"} 1\n"
            "# HELP x_depth Depth\n"
            "# TYPE x_depth gauge\n"
            "x_depth 3\n");
  const auto parsed = dms::test::parsePrometheusText(text);
  ASSERT_TRUE(parsed.exposition) << parsed.error;
  EXPECT_EQ(parsed.exposition->value("x_calls_total", {{"code", "a\"b\\c\nd"}}), 1);
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeAndEndAtInf) {
  Registry registry;
  auto& seconds = registry.histogram("x_duration_seconds", "Duration", {0.125, 1, 2.5});
  for (double v : {0.0625, 0.125, 0.5, 3.0, 100.0}) seconds.observe(v);
  const std::string text = registry.render();
  EXPECT_EQ(text,
            "# HELP x_duration_seconds Duration\n"
            "# TYPE x_duration_seconds histogram\n"
            "x_duration_seconds_bucket{le=\"0.125\"} 2\n"
            "x_duration_seconds_bucket{le=\"1\"} 3\n"
            "x_duration_seconds_bucket{le=\"2.5\"} 3\n"
            "x_duration_seconds_bucket{le=\"+Inf\"} 5\n"
            "x_duration_seconds_sum 103.6875\n"
            "x_duration_seconds_count 5\n");
  EXPECT_TRUE(dms::test::parsePrometheusText(text).exposition);
}

TEST(MetricsRegistry, SampledFamiliesAreReadWhenRendered) {
  Registry registry;
  double depth = 1;
  registry.sampled("x_inbox_depth", "Waiting", Registry::Type::Gauge,
                   [&depth]() -> std::vector<ambita::metrics::Sample> {
                     return {{{}, depth}};
                   });
  depth = 7;
  EXPECT_NE(registry.render().find("\nx_inbox_depth 7\n"), std::string::npos);
  depth = 9;
  EXPECT_NE(registry.render().find("\nx_inbox_depth 9\n"), std::string::npos);
}

TEST(MetricsRegistry, FormatsSpecialValues) {
  using ambita::metrics::formatValue;
  EXPECT_EQ(formatValue(INFINITY), "+Inf");
  EXPECT_EQ(formatValue(-INFINITY), "-Inf");
  EXPECT_EQ(formatValue(NAN), "NaN");
  EXPECT_EQ(formatValue(42), "42");
  EXPECT_EQ(formatValue(0.25), "0.25");
}

TEST(MetricsRegistry, RefusesBadNamesAndMixedTypes) {
  Registry registry;
  EXPECT_THROW(registry.counter("x_calls", "no _total"), std::invalid_argument);
  EXPECT_THROW(registry.gauge("1x", "bad name"), std::invalid_argument);
  EXPECT_THROW(registry.gauge("x", "bad label", {{"__reserved", "v"}}), std::invalid_argument);
  registry.gauge("x_things", "Things");
  EXPECT_THROW(registry.histogram("x_things", "a histogram now", {1}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("x_h", "unsorted", {2, 1}), std::invalid_argument);
}

TEST(MetricsRegistry, TwoRegistriesKeepTheirOwnNumbers) {
  Registry first, second;
  first.counter("x_total", "X").add(2);
  second.counter("x_total", "X");
  EXPECT_NE(first.render().find("\nx_total 2\n"), std::string::npos);
  EXPECT_NE(second.render().find("\nx_total 0\n"), std::string::npos);
}

}  // namespace
