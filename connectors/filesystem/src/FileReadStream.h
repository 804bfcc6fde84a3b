#pragma once
/// An std::istream reading from a file descriptor it owns (what get() hands out), so that the
/// file read is exactly the one opened through the confined path resolution.

#include <ext/stdio_filebuf.h>

#include <istream>

namespace dms::filesystem {

class FileReadStream : public std::istream {
 public:
  /// Takes ownership of `fd` (closed with the stream).
  explicit FileReadStream(int fd);
  ~FileReadStream() override;

 private:
  __gnu_cxx::stdio_filebuf<char> buffer_;
};

}  // namespace dms::filesystem
