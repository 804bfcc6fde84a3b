#include "DavPath.h"

#include <vector>

namespace dms::webdav {
namespace {

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Removes "." and ".." segments and collapses empty ones (servers rarely send them, but a
/// relative href may produce them).
std::string normaliseAbsolutePath(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

}  // namespace

std::string encodeSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size() * 3);
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (isUnreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string encodeRelativePath(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (!out.empty()) out += '/';
    out += encodeSegment(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hexValue(text[i + 1]);
      int lo = hexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::optional<std::string> hrefToRelativePath(std::string_view href,
                                              std::string_view baseEncodedPath,
                                              std::string_view requestEncodedPath) {
  std::string_view pathPart = href;
  // Drop a fragment or query, which never belong to a resource name (names are encoded).
  if (auto cut = pathPart.find_first_of("?#"); cut != std::string_view::npos)
    pathPart = pathPart.substr(0, cut);
  std::string absolute;
  if (auto scheme = pathPart.find("://"); scheme != std::string_view::npos) {
    auto slash = pathPart.find('/', scheme + 3);
    absolute = slash == std::string_view::npos ? "/" : std::string(pathPart.substr(slash));
  } else if (!pathPart.empty() && pathPart.front() == '/') {
    absolute = std::string(pathPart);
  } else {
    std::string_view dir = requestEncodedPath.substr(0, requestEncodedPath.rfind('/') + 1);
    absolute = std::string(dir) + std::string(pathPart);
  }
  // Compare decoded forms: servers may encode differently from us (case of hex, which
  // characters they escape).
  const std::string decoded = normaliseAbsolutePath(percentDecode(absolute));
  const std::string base = normaliseAbsolutePath(percentDecode(baseEncodedPath));
  if (decoded == base) return std::string();
  const std::string prefix = base == "/" ? "/" : base + "/";
  if (decoded.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return decoded.substr(prefix.size());
}

}  // namespace dms::webdav
