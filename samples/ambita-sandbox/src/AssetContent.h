#pragma once
/// Deterministic generated file content, streamed in fixed-size pieces and never stored.
/// Byte i of an asset whose id starts with the hex digits "hh" (seed s = 0xhh) is
///   (s + 7*i + 131*floor(i/1024)) mod 256
/// so any size, from 0 bytes to many GB, costs no memory; README.md documents the same formula.

#include <cstdint>
#include <ostream>
#include <string>

namespace sandbox {

class AssetContent {
 public:
  /// Content of the asset with this id (only its first two hex digits matter).
  AssetContent(const std::string& assetId, std::uint64_t size);

  /// Fills `buffer` with `length` bytes starting at `offset`.
  void fill(std::uint64_t offset, char* buffer, std::size_t length) const;

  /// Lowercase hex SHA-256 of the whole content (reads it once; seconds per GB).
  std::string sha256() const;

  std::uint64_t size() const { return size_; }

  /// Piece size used by every writer (the server streams with buffers of this size).
  static constexpr std::size_t kBufferSize = 64 * 1024;

 private:
  unsigned seed_;
  std::uint64_t size_;
};

}  // namespace sandbox
