#include "FileReadStream.h"

namespace dms::filesystem {

namespace {
constexpr std::size_t kReadBufferBytes = 64 * 1024;
}

FileReadStream::FileReadStream(int fd)
    : std::istream(nullptr), buffer_(fd, std::ios::in | std::ios::binary, kReadBufferBytes) {
  rdbuf(&buffer_);
}

FileReadStream::~FileReadStream() = default;

}  // namespace dms::filesystem
