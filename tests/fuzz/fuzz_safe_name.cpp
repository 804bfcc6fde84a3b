// The name sanitiser (plugin SafeName) and the connectors' path rules (NFC, normalisePath,
// normaliseName) on arbitrary bytes: asset names, references and addresses come from Ambita.
// Line 1 is the raw name, line 2 (if any) the fallback; the first byte also picks the cap.
#include "FuzzInput.h"
#include "dms/common/PathRules.h"
#include "dms/common/Unicode.h"
#include "filing/SafeName.h"

using ambita::filing::SafeName;

namespace {

void requireSafeSegment(const std::string& segment, std::size_t maxBytes) {
  dms::fuzz::require(!segment.empty(), "a safe name is not empty");
  dms::fuzz::require(segment.size() <= maxBytes, "a safe name fits the cap");
  dms::fuzz::require(dms::common::isValidUtf8(segment), "a safe name is valid UTF-8");
  dms::fuzz::require(segment.find('/') == std::string::npos, "a safe name has no '/'");
  dms::fuzz::require(segment.find('\0') == std::string::npos, "a safe name has no NUL");
  dms::fuzz::require(segment != "." && segment != "..", "a safe name never escapes");
  // What the plugin makes safe, every connector must accept as a name.
  dms::fuzz::require(dms::common::normaliseName(segment).ok(), "a safe name is a valid name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = dms::fuzz::text(data, size);
  const auto [raw, fallback] = dms::fuzz::splitFirstLine(input);
  // Caps from 20 bytes (room for an extension and a variant suffix) to the default.
  const std::size_t maxBytes = size == 0 ? SafeName::kDefaultMaxBytes : 20 + data[0] % 161;
  const std::string segment = SafeName::segment(raw, fallback, maxBytes);
  requireSafeSegment(segment, maxBytes);
  requireSafeSegment(SafeName::variant(segment, 2 + static_cast<int>(size % 98), maxBytes),
                     maxBytes);
  const std::string cut = SafeName::truncateUtf8(raw, maxBytes);
  dms::fuzz::require(cut.size() <= maxBytes && raw.compare(0, cut.size(), cut) == 0,
                     "truncateUtf8 gives a prefix within the cap");
  (void)dms::common::toNfc(input, "fuzz input");
  (void)dms::common::normalisePath(input, dms::common::RootPolicy::Allow);
  if (auto path = dms::common::normalisePath(input, dms::common::RootPolicy::Refuse); path) {
    for (const auto& part : dms::common::splitPath(*path))
      dms::fuzz::require(part != "." && part != "..", "a normalised path never escapes");
    (void)dms::common::parentPath(*path);
    (void)dms::common::baseName(*path);
  }
  return 0;
}
