#pragma once
/// A folder or file-name template such as "{reference}/{orderId} {address}/{categoryFolder}".
///
/// Syntax: literal text and placeholders in braces; '/' separates folder segments; "{{" and
/// "}}" are literal braces; "{a|b}" takes the first non-empty of a and b (fallbacks).
/// Rendering substitutes values into each segment and makes every segment safe with SafeName,
/// so a value can never add a segment or escape the root. A segment whose placeholders were
/// all empty is cleaned of dangling separators and dropped when nothing is left.
/// Immutable after parse(); thread-safe.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dms/Error.h"

namespace ambita::filing {

class PathTemplate {
 public:
  /// An empty template (renders no segment).
  PathTemplate() = default;

  /// Placeholder names a template may use (folder and file placeholders).
  static const std::set<std::string>& knownPlaceholders();

  /// Parses `text`. Errors (InvalidArgument, naming `what`, e.g. "ambita.filing.folderTemplate"):
  /// unknown placeholder (named), unbalanced brace, empty placeholder.
  static dms::Result<PathTemplate> parse(const std::string& text, const std::string& what);

  /// Renders to safe segments (possibly none). `values` maps placeholder names to raw text;
  /// a missing name counts as empty.
  std::vector<std::string> render(const std::map<std::string, std::string>& values,
                                  std::size_t maxSegmentBytes) const;

  /// The most segments a rendering has (the template's '/'-separated parts).
  std::size_t maxSegments() const { return segments_.size(); }

  /// The template as written.
  const std::string& text() const { return text_; }

 private:
  struct Part {
    bool placeholder = false;
    std::string literal;                    ///< when !placeholder
    std::vector<std::string> alternatives;  ///< when placeholder
  };
  using Segment = std::vector<Part>;

  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace ambita::filing
