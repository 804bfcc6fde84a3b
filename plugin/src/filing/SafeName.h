#pragma once
/// Turns untrusted text (asset names, references, addresses) into one safe, readable path
/// segment for a DocumentTarget: Unicode kept (normalised to NFC), separators and control
/// characters (bidirectional ones too) replaced, reserved and empty names handled, length capped in
/// bytes on a UTF-8 boundary with the extension kept. Pure functions; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace ambita::filing {

class SafeName {
 public:
  /// Default cap in bytes: well under NAME_MAX (255) so that a target's temporary-name prefix
  /// and a " (NN)" variant suffix still fit.
  static constexpr std::size_t kDefaultMaxBytes = 180;

  /// One safe segment made from `raw`. Invalid UTF-8 bytes and '/', '\\', control characters
  /// and bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9) become '_'; leading/trailing
  /// spaces and trailing dots are trimmed; a leading '.' gets a
  /// '_' prefix (no hidden files); ".", ".." and Windows device names (CON, PRN, AUX, NUL, COM1-9,
  /// LPT1-9, with or without extension, any case) get a '_' prefix; an empty result becomes
  /// `fallback` (itself made safe; "_" if that is empty too). The result is at most `maxBytes`
  /// bytes, cut on a code point boundary, keeping an extension of up to 16 bytes.
  static std::string segment(std::string_view raw, std::string_view fallback = "_",
                             std::size_t maxBytes = kDefaultMaxBytes);

  /// "name (n).ext" for n >= 2 (the extension kept, the whole still within `maxBytes`);
  /// `name` itself for n <= 1. `name` must already be safe.
  static std::string variant(const std::string& name, int n,
                             std::size_t maxBytes = kDefaultMaxBytes);

  /// Splits "stem.ext" into {"stem", ".ext"}; no extension when there is no dot after the first
  /// character or the extension is longer than 16 bytes or contains a space.
  static std::pair<std::string, std::string> splitExtension(const std::string& name);

  /// Cuts `text` to at most `maxBytes` bytes without splitting a UTF-8 sequence.
  static std::string truncateUtf8(const std::string& text, std::size_t maxBytes);
};

}  // namespace ambita::filing
