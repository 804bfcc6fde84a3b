#include "AssetContent.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace sandbox {

AssetContent::AssetContent(const std::string& assetId, std::uint64_t size) : seed_(0), size_(size) {
  if (assetId.size() >= 2)
    seed_ = static_cast<unsigned>(std::stoul(assetId.substr(0, 2), nullptr, 16));
}

namespace {

constexpr std::size_t kBlock = 1024;  // the formula's floor(i/1024)

/// kStep7[j] = 7*j mod 256. Within one 1 KiB block byte i is c + 7*i (mod 256) for a constant c,
/// and 7 is invertible mod 256 (7 * 183 = 1 + 5 * 256), so c + 7*k = 7*(183*c + k): every run of
/// a block is a window of this table starting at 183*c mod 256. Copying windows instead of
/// computing byte by byte keeps the sandbox's CPU (which shares the box with what the benchmarks
/// measure) near memcpy's for every download.
const std::array<unsigned char, 256 + kBlock> kStep7 = [] {
  std::array<unsigned char, 256 + kBlock> table{};
  for (std::size_t j = 0; j < table.size(); ++j) table[j] = static_cast<unsigned char>(7 * j);
  return table;
}();

}  // namespace

void AssetContent::fill(std::uint64_t offset, char* buffer, std::size_t length) const {
  std::size_t done = 0;
  while (done < length) {
    const std::uint64_t i = offset + done;
    const std::size_t run =
        std::min<std::size_t>(length - done, kBlock - static_cast<std::size_t>(i % kBlock));
    const unsigned c = static_cast<unsigned>((seed_ + 7 * i + 131 * (i / kBlock)) & 0xFF);
    std::memcpy(buffer + done, kStep7.data() + ((183 * c) & 0xFF), run);
    done += run;
  }
}

std::string AssetContent::sha256() const {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  std::vector<char> buffer(kBufferSize);
  for (std::uint64_t offset = 0; offset < size_; offset += kBufferSize) {
    const std::size_t length =
        static_cast<std::size_t>(std::min<std::uint64_t>(kBufferSize, size_ - offset));
    fill(offset, buffer.data(), length);
    engine.update(buffer.data(), length);
  }
  return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace sandbox
