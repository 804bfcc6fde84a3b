#pragma once
/// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests that
/// read GET /metrics. It checks what a scraper relies on and reports the first violation with
/// its line number:
///   - every line is a comment (# HELP name text / # TYPE name type / any other # text), empty,
///     or a sample: metric_name[{label="value",...}] value [timestamp]
///   - names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and not
///     repeated within a sample; label values escape only \\, \" and \n; HELP text only \\, \n
///   - values are floats as Go reads them, including +Inf, -Inf and NaN
///   - HELP and TYPE appear at most once per family, before its samples; a family's lines form
///     one group; the same series (name and labels) appears once
///   - counters are never negative or NaN; a histogram's series each have `le` buckets in
///     ascending order with cumulative counts, ending at le="+Inf", plus _sum and _count, with
///     _count equal to the +Inf bucket
///   - the text ends with a newline

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dms::test {

using PromLabels = std::map<std::string, std::string>;

struct PromSample {
  std::string name;  ///< as written (a histogram's: name_bucket, name_sum, name_count)
  PromLabels labels;
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string help;
  std::string type = "untyped";
  std::vector<PromSample> samples;
};

struct PromExposition {
  std::vector<PromFamily> families;

  const PromFamily* family(const std::string& name) const;
  /// The value of the sample `name` with exactly `labels`; nullopt when there is none.
  std::optional<double> value(const std::string& name, const PromLabels& labels = {}) const;
};

struct PromParseResult {
  std::optional<PromExposition> exposition;  ///< set when the text is valid
  std::string error;                         ///< "line N: what is wrong" otherwise
};

PromParseResult parsePrometheusText(std::string_view text);

}  // namespace dms::test
