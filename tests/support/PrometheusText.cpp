#include "support/PrometheusText.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <stdexcept>

namespace dms::test {
namespace {

/// Thrown with what is wrong; the caller adds the line number.
struct Bad : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool nameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}

bool validMetricName(std::string_view name) {
  if (name.empty() || !(nameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name)
    if (!(nameStart(c) || digit(c) || c == ':')) return false;
  return true;
}

bool validLabelName(std::string_view name) {
  if (name.empty() || !nameStart(name[0])) return false;
  for (char c : name)
    if (!(nameStart(c) || digit(c))) return false;
  return true;
}

double parseValue(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  // Decimal floats only: strtod also takes hex, "infinity" and "nan(...)", which Go does not.
  if (text.empty()) throw Bad("missing value");
  for (char c : text)
    if (!(digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      throw Bad("invalid value '" + std::string(text) + "'");
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || copy.find_first_of("0123456789") == std::string::npos)
    throw Bad("invalid value '" + copy + "'");
  return value;
}

/// Unescapes `text` allowing `\\`, `\n` and, when `quotes`, `\"`.
std::string unescape(std::string_view text, bool quotes) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 == text.size()) throw Bad("escape at the end");
    const char next = text[++i];
    if (next == '\\')
      out += '\\';
    else if (next == 'n')
      out += '\n';
    else if (next == '"' && quotes)
      out += '"';
    else
      throw Bad(std::string("invalid escape \\") + next);
  }
  return out;
}

/// Parses `{a="x",b="y"}` starting at text[pos] == '{'; pos ends after '}'.
PromLabels parseLabels(std::string_view text, std::size_t& pos) {
  PromLabels labels;
  ++pos;  // '{'
  while (true) {
    if (pos >= text.size()) throw Bad("unterminated label set");
    if (text[pos] == '}') {
      ++pos;
      return labels;
    }
    const std::size_t nameStartAt = pos;
    while (pos < text.size() && text[pos] != '=' && text[pos] != '}' && text[pos] != ',') ++pos;
    const std::string name(text.substr(nameStartAt, pos - nameStartAt));
    if (!validLabelName(name)) throw Bad("invalid label name '" + name + "'");
    if (pos >= text.size() || text[pos] != '=') throw Bad("label " + name + " without '='");
    if (++pos >= text.size() || text[pos] != '"') throw Bad("label " + name + ": value not quoted");
    const std::size_t valueStart = ++pos;
    while (pos < text.size() && text[pos] != '"') pos += text[pos] == '\\' ? 2 : 1;
    if (pos >= text.size()) throw Bad("label " + name + ": unterminated value");
    const std::string value = unescape(text.substr(valueStart, pos - valueStart), true);
    ++pos;  // closing quote
    if (!labels.emplace(name, value).second) throw Bad("label " + name + " repeated");
    if (pos < text.size() && text[pos] == ',')
      ++pos;
    else if (pos < text.size() && text[pos] != '}')
      throw Bad("expected ',' or '}' after label " + name);
  }
}

PromSample parseSample(std::string_view line) {
  PromSample sample;
  std::size_t pos = 0;
  while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
  sample.name = std::string(line.substr(0, pos));
  if (!validMetricName(sample.name)) throw Bad("invalid metric name '" + sample.name + "'");
  if (pos < line.size() && line[pos] == '{') sample.labels = parseLabels(line, pos);
  if (pos >= line.size() || line[pos] != ' ') throw Bad("expected a space before the value");
  const std::string_view rest = line.substr(pos + 1);
  const auto space = rest.find(' ');
  sample.value = parseValue(rest.substr(0, space));
  if (space != std::string_view::npos) {
    const std::string_view timestamp = rest.substr(space + 1);
    std::size_t i = timestamp.starts_with('-') ? 1 : 0;
    if (i == timestamp.size()) throw Bad("empty timestamp");
    for (; i < timestamp.size(); ++i)
      if (!digit(timestamp[i])) throw Bad("invalid timestamp '" + std::string(timestamp) + "'");
  }
  return sample;
}

/// The family a sample named `name` belongs to, given the family's type.
bool belongsTo(const std::string& name, const PromFamily& family) {
  if (name == family.name) return family.type != "histogram";
  const auto suffixed = [&](const char* suffix) { return name == family.name + suffix; };
  if (family.type == "histogram")
    return suffixed("_bucket") || suffixed("_sum") || suffixed("_count");
  if (family.type == "summary") return suffixed("_sum") || suffixed("_count");
  return false;
}

void checkHistogram(const PromFamily& family) {
  struct Series {
    std::vector<std::pair<double, double>> buckets;  ///< (le, count) in order of appearance
    std::optional<double> sum, count;
  };
  std::map<PromLabels, Series> series;
  for (const auto& sample : family.samples) {
    PromLabels key = sample.labels;
    if (sample.name == family.name + "_bucket") {
      const auto le = key.find("le");
      if (le == key.end()) throw Bad(family.name + "_bucket without an le label");
      const double bound = parseValue(le->second);
      key.erase(le);
      series[key].buckets.emplace_back(bound, sample.value);
    } else if (sample.name == family.name + "_sum") {
      series[key].sum = sample.value;
    } else {
      series[key].count = sample.value;
    }
  }
  for (const auto& [labels, s] : series) {
    if (s.buckets.empty() || !std::isinf(s.buckets.back().first) || s.buckets.back().first < 0)
      throw Bad(family.name + ": buckets must end at le=\"+Inf\"");
    for (std::size_t i = 1; i < s.buckets.size(); ++i) {
      if (!(s.buckets[i].first > s.buckets[i - 1].first))
        throw Bad(family.name + ": le bounds not in ascending order");
      if (s.buckets[i].second < s.buckets[i - 1].second)
        throw Bad(family.name + ": bucket counts not cumulative");
    }
    if (!s.sum) throw Bad(family.name + ": no _sum");
    if (!s.count) throw Bad(family.name + ": no _count");
    if (*s.count != s.buckets.back().second)
      throw Bad(family.name + ": _count differs from the +Inf bucket");
  }
}

class Parser {
 public:
  PromExposition run(std::string_view text) {
    if (!text.empty() && !text.ends_with('\n')) throw Bad("the text does not end with a newline");
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      ++lineNumber_;
      line(text.substr(start, end - start));
      start = end + 1;
    }
    lineNumber_ = 0;
    for (const auto& family : result_.families) {
      if (family.type == "histogram") checkHistogram(family);
    }
    return std::move(result_);
  }
  std::size_t lineNumber() const { return lineNumber_; }

 private:
  void line(std::string_view text) {
    if (text.empty()) return;
    if (text.starts_with("# HELP ") || text.starts_with("# TYPE ")) return metadata(text);
    if (text.starts_with('#')) return;  // a plain comment
    sample(parseSample(text));
  }

  void metadata(std::string_view text) {
    const bool help = text.starts_with("# HELP ");
    const std::string_view rest = text.substr(7);
    const auto space = rest.find(' ');
    const std::string name(rest.substr(0, space));
    if (!validMetricName(name)) throw Bad("invalid metric name '" + name + "'");
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    PromFamily& family = familyFor(name, help ? "HELP" : "TYPE");
    if (help) {
      if (helpSeen_.count(name)) throw Bad("second HELP for " + name);
      helpSeen_.insert(name);
      family.help = unescape(value, false);
      return;
    }
    if (typeSeen_.count(name)) throw Bad("second TYPE for " + name);
    typeSeen_.insert(name);
    static const std::set<std::string, std::less<>> types{"counter", "gauge", "histogram",
                                                          "summary", "untyped"};
    if (!types.count(value)) throw Bad("unknown type '" + std::string(value) + "' for " + name);
    family.type = std::string(value);
  }

  /// The family `name` whose HELP or TYPE this is: the current one when it has no samples
  /// yet, else a new one (a family seen before may not come back).
  PromFamily& familyFor(const std::string& name, const char* what) {
    if (!result_.families.empty() && result_.families.back().name == name) {
      if (!result_.families.back().samples.empty())
        throw Bad(std::string(what) + " for " + name + " after its samples");
      return result_.families.back();
    }
    if (!familyNames_.insert(name).second)
      throw Bad(std::string(what) + " for " + name + ": its family was seen before");
    result_.families.push_back(PromFamily{name, "", "untyped", {}});
    return result_.families.back();
  }

  void sample(PromSample sample) {
    if (result_.families.empty() || !belongsTo(sample.name, result_.families.back())) {
      // An untyped family of its own, unless its lines were seen before (not one group).
      if (!familyNames_.insert(sample.name).second)
        throw Bad("sample " + sample.name + " apart from its family's other lines");
      for (const auto& family : result_.families)
        if (belongsTo(sample.name, family))
          throw Bad("sample " + sample.name + " apart from its family's other lines");
      result_.families.push_back(PromFamily{sample.name, "", "untyped", {}});
    }
    PromFamily& family = result_.families.back();
    if (family.type == "counter" && (std::isnan(sample.value) || sample.value < 0))
      throw Bad("counter " + sample.name + " is negative or NaN");
    if (!series_.emplace(sample.name, sample.labels).second)
      throw Bad("series " + sample.name + " repeated with the same labels");
    family.samples.push_back(std::move(sample));
  }

  PromExposition result_;
  std::size_t lineNumber_ = 0;
  std::set<std::string> familyNames_, helpSeen_, typeSeen_;
  std::set<std::pair<std::string, PromLabels>> series_;
};

}  // namespace

const PromFamily* PromExposition::family(const std::string& name) const {
  for (const auto& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

std::optional<double> PromExposition::value(const std::string& name,
                                            const PromLabels& labels) const {
  for (const auto& f : families)
    for (const auto& s : f.samples)
      if (s.name == name && s.labels == labels) return s.value;
  return std::nullopt;
}

PromParseResult parsePrometheusText(std::string_view text) {
  Parser parser;
  try {
    return {parser.run(text), ""};
  } catch (const Bad& bad) {
    const auto line = parser.lineNumber();
    return {std::nullopt, (line > 0 ? "line " + std::to_string(line) + ": " : "") + bad.what()};
  }
}

}  // namespace dms::test
