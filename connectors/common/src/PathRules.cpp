#include "dms/common/PathRules.h"

#include <cstdio>

#include "dms/common/BookkeepingNames.h"
#include "dms/common/Unicode.h"

namespace dms::common {
namespace {

Error invalid(std::string_view path, const std::string& reason) {
  return fail(ErrorCode::InvalidArgument, "path " + quotePath(path) + ": " + reason);
}

/// Reason a segment is unacceptable, or "" if it is fine. `segment` is valid UTF-8.
std::string segmentProblem(std::string_view segment) {
  if (segment.empty()) return "empty segment (leading, trailing or doubled '/')";
  if (segment == ".") return "segment '.' is not allowed";
  if (segment == "..") return "segment '..' is not allowed (would leave the folder)";
  if (isBookkeepingName(segment)) {
    return "names starting with '" + std::string(kBookkeepingPrefix) +
           "' are reserved for the connector's bookkeeping";
  }
  return "";
}

/// Reason the text holds a forbidden character, or "".
std::string characterProblem(std::string_view text) {
  std::string problem;
  const auto invalidAt = forEachCodePoint(text, [&](char32_t cp, std::size_t offset) {
    const bool allowed = cp >= 0x20 && !(cp >= 0x7F && cp <= 0x9F) && cp != '\\';
    if (allowed) return true;  // nearly every character: no message built for it
    const std::string at = " at byte " + std::to_string(offset);
    if (cp == 0) {
      problem = "NUL character" + at;
    } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
      problem = std::string("control character ") + code + at;
    } else if (cp == '\\') {
      problem = "backslash" + at + " is not allowed";
    }
    return problem.empty();
  });
  if (invalidAt) return "not valid UTF-8 at byte " + std::to_string(*invalidAt);
  return problem;
}

}  // namespace

Result<std::string> normalisePath(std::string_view path, RootPolicy root) {
  if (path.empty()) {
    if (root == RootPolicy::Allow) return std::string();
    return invalid(path, "empty path (the root folder) is not allowed here");
  }
  if (path.front() == '/') return invalid(path, "absolute paths are not allowed");
  if (auto problem = characterProblem(path); !problem.empty()) return invalid(path, problem);
  // The message for toNfc only where it can be needed (text beyond ASCII).
  auto nfc = isAscii(path) ? Result<std::string>(std::string(path))
                           : toNfc(path, "path " + quotePath(path));
  if (!nfc) return nfc.error();
  // Check segments after normalisation: NFC never introduces '/' or '.', but checking the
  // final form is what guarantees the rules for what actually reaches the storage.
  std::string_view rest = *nfc;
  while (true) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    if (auto problem = segmentProblem(segment); !problem.empty()) return invalid(path, problem);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return nfc;
}

Result<std::string> normaliseName(std::string_view name) {
  if (name.find('/') != std::string_view::npos)
    return fail(ErrorCode::InvalidArgument, "name " + quotePath(name) + " contains '/'");
  return normalisePath(name, RootPolicy::Refuse);
}

std::vector<std::string> splitPath(std::string_view normalisedPath) {
  std::vector<std::string> segments;
  if (normalisedPath.empty()) return segments;
  std::string_view rest = normalisedPath;
  while (true) {
    const auto slash = rest.find('/');
    segments.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return segments;
}

std::string joinPath(const std::vector<std::string>& segments) {
  std::string joined;
  for (const auto& segment : segments) {
    if (!joined.empty()) joined += '/';
    joined += segment;
  }
  return joined;
}

std::string childPath(std::string_view folder, std::string_view name) {
  if (folder.empty()) return std::string(name);
  return std::string(folder) + "/" + std::string(name);
}

std::string parentPath(std::string_view normalisedPath) {
  const auto slash = normalisedPath.rfind('/');
  if (slash == std::string_view::npos) return "";
  return std::string(normalisedPath.substr(0, slash));
}

std::string baseName(std::string_view normalisedPath) {
  const auto slash = normalisedPath.rfind('/');
  if (slash == std::string_view::npos) return std::string(normalisedPath);
  return std::string(normalisedPath.substr(slash + 1));
}

std::string quotePath(std::string_view path) {
  std::string quoted = "'";
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  quoted += "'";
  return quoted;
}

}  // namespace dms::common
