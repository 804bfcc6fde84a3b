#include "filing/PathTemplate.h"

#include "filing/SafeName.h"

namespace ambita::filing {
namespace {

bool isDangling(char c) {
  return c == ' ' || c == '-' || c == ',' || c == '_' || c == '.';
}

/// After an empty placeholder: "123 " or " - x" lose their loose separators, runs of spaces
/// collapse.
std::string tidy(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(c);
  }
  std::size_t start = 0;
  while (start < out.size() && isDangling(out[start])) ++start;
  std::size_t end = out.size();
  while (end > start && isDangling(out[end - 1])) --end;
  return out.substr(start, end - start);
}

}  // namespace

const std::set<std::string>& PathTemplate::knownPlaceholders() {
  static const std::set<std::string> names{"reference",       "technicalReference",
                                           "orderId",         "supplier",
                                           "supplierOrderId", "product",
                                           "productName",     "category",
                                           "categoryFolder",  "documentType",
                                           "cadastre",        "address",
                                           "filename",        "name",
                                           "assetId",         "ext",
                                           "orderLineId"};
  return names;
}

dms::Result<PathTemplate> PathTemplate::parse(const std::string& text, const std::string& what) {
  PathTemplate result;
  result.text_ = text;
  Segment segment;
  std::string literal;
  auto flushLiteral = [&] {
    if (!literal.empty()) segment.push_back(Part{false, literal, {}});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal.push_back('}');
      ++i;
    } else if (c == '}') {
      return dms::fail(
          dms::ErrorCode::InvalidArgument,
          what + ": unbalanced '}' at position " + std::to_string(i + 1) + " in \"" + text + "\"");
    } else if (c == '{') {
      const auto close = text.find('}', i);
      if (close == std::string::npos)
        return dms::fail(dms::ErrorCode::InvalidArgument,
                         what + ": '{' at position " + std::to_string(i + 1) +
                             " is never closed in \"" + text + "\"");
      const std::string inner = text.substr(i + 1, close - i - 1);
      Part part{true, {}, {}};
      std::size_t from = 0;
      while (true) {
        const auto bar = inner.find('|', from);
        std::string name =
            inner.substr(from, bar == std::string::npos ? std::string::npos : bar - from);
        if (name.empty())
          return dms::fail(dms::ErrorCode::InvalidArgument,
                           what + ": empty placeholder at position " + std::to_string(i + 1) +
                               " in \"" + text + "\"");
        if (knownPlaceholders().count(name) == 0) {
          std::string known;
          for (const auto& k : knownPlaceholders()) known += (known.empty() ? "" : ", ") + k;
          return dms::fail(dms::ErrorCode::InvalidArgument,
                           what + ": unknown placeholder {" + name + "} (known: " + known + ")");
        }
        part.alternatives.push_back(name);
        if (bar == std::string::npos) break;
        from = bar + 1;
      }
      flushLiteral();
      segment.push_back(std::move(part));
      i = close;
    } else if (c == '/') {
      flushLiteral();
      result.segments_.push_back(std::move(segment));
      segment.clear();
    } else {
      literal.push_back(c);
    }
  }
  flushLiteral();
  result.segments_.push_back(std::move(segment));
  return result;
}

std::vector<std::string> PathTemplate::render(const std::map<std::string, std::string>& values,
                                              std::size_t maxSegmentBytes) const {
  std::vector<std::string> out;
  for (const auto& segment : segments_) {
    std::string text;
    bool anyEmpty = false;
    bool anyPlaceholder = false;
    for (const auto& part : segment) {
      if (!part.placeholder) {
        text += part.literal;
        continue;
      }
      anyPlaceholder = true;
      std::string value;
      for (const auto& name : part.alternatives) {
        auto it = values.find(name);
        if (it != values.end() && !it->second.empty()) {
          value = it->second;
          break;
        }
      }
      if (value.empty()) anyEmpty = true;
      text += value;
    }
    if (anyPlaceholder && anyEmpty) text = tidy(text);
    // Nothing readable left (only separators): the segment is dropped, not turned into "_".
    if (tidy(text).empty()) continue;
    out.push_back(SafeName::segment(text, "_", maxSegmentBytes));
  }
  return out;
}

}  // namespace ambita::filing
