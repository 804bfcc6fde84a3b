// Folder and file-name templates from the configuration (ambita.filing.*Template), rendered
// with values from Ambita's answers. Line 1 of the input is the template, the following lines
// are values for the placeholders in knownPlaceholders() order. A template parses or gives an
// error naming the option; a rendered path never has a segment that escapes or splits.
#include <map>

#include "FuzzInput.h"
#include "filing/PathTemplate.h"

using ambita::filing::PathTemplate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto lines = dms::fuzz::lines(dms::fuzz::text(data, size));
  auto parsed = PathTemplate::parse(lines.front(), "ambita.filing.folderTemplate");
  if (!parsed) {
    dms::fuzz::require(
        parsed.error().message.find("ambita.filing.folderTemplate") != std::string::npos,
        "a template error names the option");
    return 0;
  }
  std::map<std::string, std::string> values;
  std::size_t next = 1;
  for (const auto& name : PathTemplate::knownPlaceholders()) {
    if (next < lines.size()) values[name] = lines[next++];
  }
  constexpr std::size_t kMaxSegmentBytes = 100;
  for (const auto& segment : parsed->render(values, kMaxSegmentBytes)) {
    dms::fuzz::require(!segment.empty(), "a rendered segment is not empty");
    dms::fuzz::require(segment.size() <= kMaxSegmentBytes, "a rendered segment fits the cap");
    dms::fuzz::require(segment.find('/') == std::string::npos, "a segment has no '/'");
    dms::fuzz::require(segment != "." && segment != "..", "a segment never escapes");
  }
  return 0;
}
