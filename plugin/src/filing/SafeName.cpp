#include "filing/SafeName.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>

namespace ambita::filing {
namespace {

constexpr std::size_t kMaxExtensionBytes = 16;

/// The controls that reorder how a name is shown (bidirectional marks, embeddings, overrides,
/// isolates): "Kart<U+202E>fdp.exe" shows as "Kartexe.pdf", an executable posing as a PDF.
bool isBidiControl(utf8proc_int32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

/// Replaces invalid UTF-8, separators and control characters with '_', then NFC-normalises.
std::string cleanCodePoints(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(raw.data());
  utf8proc_ssize_t pos = 0;
  const auto length = static_cast<utf8proc_ssize_t>(raw.size());
  bool ascii = true;  // ASCII text is its own NFC: most names are, and skip utf8proc
  while (pos < length) {
    if (const auto byte = bytes[pos]; byte < 0x80) {
      const bool control = byte < 0x20 || byte == 0x7F;
      out.push_back(control || byte == '/' || byte == '\\' ? '_' : static_cast<char>(byte));
      ++pos;
      continue;
    }
    ascii = false;
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(bytes + pos, length - pos, &cp);
    if (n <= 0) {  // invalid byte: replace it and resynchronise on the next one
      out.push_back('_');
      ++pos;
      continue;
    }
    pos += n;
    const auto category = utf8proc_category(cp);
    const bool control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
                         category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_ZL ||
                         category == UTF8PROC_CATEGORY_ZP;
    if (control || isBidiControl(cp) || cp == '/' || cp == '\\') {
      out.push_back('_');
      continue;
    }
    std::array<utf8proc_uint8_t, 4> buf{};
    const auto written = utf8proc_encode_char(cp, buf.data());
    out.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(written));
  }
  if (ascii) return out;
  // Every code point is valid now, so NFC cannot fail except on memory exhaustion.
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> nfc(
      utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(out.c_str())), &std::free);
  if (nfc) return std::string(reinterpret_cast<const char*>(nfc.get()));
  return out;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t';
}

std::string trimSpaces(std::string s) {
  while (!s.empty() && isSpace(s.back())) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && isSpace(s[start])) ++start;
  return s.substr(start);
}

std::string trimTrailingDotsAndSpaces(std::string s) {
  // Windows/SMB shares drop trailing dots and spaces: such a name could not be reached there.
  while (!s.empty() && (isSpace(s.back()) || s.back() == '.')) s.pop_back();
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

bool isReserved(const std::string& name) {
  if (name == "." || name == "..") return true;
  // Windows device names are reserved with any extension ("con.pdf").
  std::string stem = upper(name.substr(0, name.find('.')));
  while (!stem.empty() && isSpace(stem.back())) stem.pop_back();
  if (stem == "CON" || stem == "PRN" || stem == "AUX" || stem == "NUL") return true;
  if (stem.size() == 4 && (stem.rfind("COM", 0) == 0 || stem.rfind("LPT", 0) == 0) &&
      stem[3] >= '1' && stem[3] <= '9')
    return true;
  return false;
}

std::string capKeepingExtension(const std::string& name, std::size_t maxBytes) {
  if (name.size() <= maxBytes) return name;
  auto [stem, ext] = SafeName::splitExtension(name);
  if (ext.size() >= maxBytes / 2) ext.clear();
  std::string cut = SafeName::truncateUtf8(stem, maxBytes - ext.size());
  while (!cut.empty() && (isSpace(cut.back()) || cut.back() == '.')) cut.pop_back();
  if (cut.empty()) cut = "_";
  return cut + ext;
}

std::string makeSafe(std::string_view raw, std::size_t maxBytes) {
  std::string name = trimSpaces(cleanCodePoints(raw));
  if (name == "." || name == "..") return "_" + name;
  name = trimTrailingDotsAndSpaces(std::move(name));
  if (name.empty()) return name;
  // No hidden files (and never a target's own ".dms-..." bookkeeping names).
  if (name.front() == '.') name = "_" + name;
  if (isReserved(name)) name = "_" + name;
  return capKeepingExtension(name, maxBytes);
}

}  // namespace

std::string SafeName::segment(std::string_view raw, std::string_view fallback,
                              std::size_t maxBytes) {
  if (maxBytes < 8) maxBytes = 8;
  std::string name = makeSafe(raw, maxBytes);
  if (name.empty()) name = makeSafe(fallback, maxBytes);
  if (name.empty()) name = "_";
  return name;
}

std::string SafeName::variant(const std::string& name, int n, std::size_t maxBytes) {
  if (n <= 1) return name;
  auto [stem, ext] = splitExtension(name);
  const std::string suffix = " (" + std::to_string(n) + ")";
  // An extension that leaves no byte of the stem beside the suffix is cut with the rest.
  if (maxBytes <= suffix.size() + ext.size()) {
    stem = name;
    ext.clear();
  }
  const std::size_t room = maxBytes > suffix.size() + ext.size()
                               ? maxBytes - suffix.size() - ext.size()
                               : 1;  // a cap below the suffix itself cannot be met
  std::string cut = truncateUtf8(stem, room);
  while (!cut.empty() && isSpace(cut.back())) cut.pop_back();
  return cut + suffix + ext;
}

std::pair<std::string, std::string> SafeName::splitExtension(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return {name, ""};
  std::string ext = name.substr(dot);
  if (ext.size() > kMaxExtensionBytes || ext.size() < 2 || ext.find(' ') != std::string::npos)
    return {name, ""};
  return {name.substr(0, dot), ext};
}

std::string SafeName::truncateUtf8(const std::string& text, std::size_t maxBytes) {
  if (text.size() <= maxBytes) return text;
  std::size_t cut = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so no sequence is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace ambita::filing
