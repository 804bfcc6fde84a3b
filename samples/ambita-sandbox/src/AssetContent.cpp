#include "AssetContent.h"

#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace sandbox {

AssetContent::AssetContent(const std::string& assetId, std::uint64_t size) : seed_(0), size_(size) {
  if (assetId.size() >= 2)
    seed_ = static_cast<unsigned>(std::stoul(assetId.substr(0, 2), nullptr, 16));
}

void AssetContent::fill(std::uint64_t offset, char* buffer, std::size_t length) const {
  for (std::size_t k = 0; k < length; ++k) {
    const std::uint64_t i = offset + k;
    buffer[k] = static_cast<char>((seed_ + 7 * i + 131 * (i >> 10)) & 0xFF);
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
