// The Prometheus text-format parser the /metrics tests rely on: valid expositions parse with
// their values; every kind of bad line is refused, naming the line.
#include <gtest/gtest.h>

#include <cmath>

#include "support/PrometheusText.h"

namespace {

using dms::test::parsePrometheusText;

TEST(PrometheusText, ParsesFamiliesLabelsEscapesAndSpecialValues) {
  const auto parsed = parsePrometheusText(
      "# HELP a_total Things, with a \\\\ and a\\nnewline\n"
      "# TYPE a_total counter\n"
      "a_total{path=\"C:\\\\dir\",say=\"\\\"hi\\\"\",multi=\"x\\ny\"} 3\n"
      "a_total 1.5e3 1700000000000\n"
      "\n"
      "# a plain comment\n"
      "# TYPE g gauge\n"
      "g{k=\"v\",} -Inf\n"
      "g{k=\"w\"} NaN\n"
      "g{k=\"x\"} +Inf\n"
      "untyped_thing 0\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"0.5\"} 1\n"
      "h_bucket{le=\"1\"} 3\n"
      "h_bucket{le=\"+Inf\"} 4\n"
      "h_sum 7.25\n"
      "h_count 4\n");
  ASSERT_TRUE(parsed.exposition) << parsed.error;
  const auto& e = *parsed.exposition;
  ASSERT_EQ(e.families.size(), 4u);
  EXPECT_EQ(e.families[0].help, "Things, with a \\ and a\nnewline");
  EXPECT_EQ(e.families[0].type, "counter");
  EXPECT_EQ(e.value("a_total", {{"path", "C:\\dir"}, {"say", "\"hi\""}, {"multi", "x\ny"}}), 3);
  EXPECT_EQ(e.value("a_total"), 1500);
  EXPECT_TRUE(std::isinf(*e.value("g", {{"k", "v"}})));
  EXPECT_TRUE(std::isnan(*e.value("g", {{"k", "w"}})));
  EXPECT_EQ(e.families[2].type, "untyped");
  EXPECT_EQ(e.value("h_count"), 4);
  EXPECT_EQ(e.value("h_bucket", {{"le", "1"}}), 3);
  EXPECT_FALSE(e.value("h_bucket", {{"le", "2"}}).has_value());
}

TEST(PrometheusText, EmptyTextIsValid) {
  EXPECT_TRUE(parsePrometheusText("").exposition);
}

struct BadCase {
  const char* text;
  const char* error;  ///< a part of the expected message
};

class PrometheusTextRejects : public testing::TestWithParam<BadCase> {};

TEST_P(PrometheusTextRejects, NamingTheLine) {
  const auto parsed = parsePrometheusText(GetParam().text);
  ASSERT_FALSE(parsed.exposition) << GetParam().text;
  EXPECT_NE(parsed.error.find(GetParam().error), std::string::npos)
      << GetParam().text << " -> " << parsed.error;
}

INSTANTIATE_TEST_SUITE_P(
    BadLines, PrometheusTextRejects,
    testing::Values(
        BadCase{"a 1", "does not end with a newline"},
        BadCase{"1a 1\n", "line 1: invalid metric name '1a'"},
        BadCase{"a-b 1\n", "invalid metric name"},
        BadCase{"a\n", "line 1: expected a space before the value"},
        BadCase{"a one\n", "invalid value 'one'"}, BadCase{"a 0x10\n", "invalid value"},
        BadCase{"a inf\n", "invalid value"}, BadCase{"a 1 12.5\n", "invalid timestamp"},
        BadCase{"a{b=\"1\" 1\n", "expected ',' or '}'"}, BadCase{"a{b=1} 1\n", "value not quoted"},
        BadCase{"a{b=\"1} 1\n", "unterminated"}, BadCase{"a{b=\"\\t\"} 1\n", "invalid escape \\t"},
        BadCase{"a{1b=\"x\"} 1\n", "invalid label name '1b'"},
        BadCase{"a{b=\"x\",b=\"y\"} 1\n", "label b repeated"},
        BadCase{"a 1\na 2\n", "line 2: series a repeated"},
        BadCase{"# HELP a x\n# HELP a y\n", "line 2: second HELP for a"},
        BadCase{"# HELP a bad \\\" escape\n", "invalid escape"},
        BadCase{"# TYPE a counter\n# TYPE a gauge\n", "second TYPE for a"},
        BadCase{"# TYPE a meter\n", "unknown type 'meter'"},
        BadCase{"a 1\n# TYPE a gauge\n", "line 2: TYPE for a after its samples"},
        BadCase{"a 1\nb 1\na{x=\"y\"} 2\n", "line 3: sample a apart from its family"},
        BadCase{"# TYPE c_total counter\nc_total -1\n", "negative"},
        BadCase{"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
                "must end at le=\"+Inf\""},
        BadCase{"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
                "h_count 1\n",
                "not cumulative"},
        BadCase{"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
                "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
                "ascending"},
        BadCase{"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
                "_count differs"},
        BadCase{"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n", "no _sum"},
        BadCase{"# TYPE h histogram\nh_bucket 2\nh_sum 1\nh_count 2\n", "without an le"}));

}  // namespace
