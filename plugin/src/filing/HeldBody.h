#pragma once
/// A download body held whole for a target without a streaming put (the WebDAV connector, and
/// connectors of interface 1.0): such a put must read its content from a stream it can seek
/// back, so that a request the server cut off (a restart mid-upload) is sent again in the same
/// run. A small body is held in memory: no spool file is created, written, read back and
/// deleted per asset (on ext4 a quarter of a WebDAV sync's samples went to that). A body
/// beyond the memory limit (declared by its Content-Length or found while reading) goes to a
/// spool file, so what one filing thread holds in memory stays bounded.

#include <cstddef>
#include <filesystem>
#include <istream>
#include <memory>

#include "api/DownloadBody.h"
#include "dms/Error.h"

namespace ambita::filing {

class HeldBody {
 public:
  /// Reads `body` to its end: into memory when it has at most `memoryLimit` bytes, else into
  /// `spoolFile` (created or truncated; removed again when the HeldBody goes, or at once when
  /// holding fails). Errors: those of api::saveTo (DataLoss: the body failed midway, named by
  /// body.failure(); a spool file error naming the file).
  static dms::Result<std::unique_ptr<HeldBody>> hold(api::DownloadBody& body,
                                                     std::size_t memoryLimit,
                                                     const std::filesystem::path& spoolFile);
  ~HeldBody();
  HeldBody(const HeldBody&) = delete;
  HeldBody& operator=(const HeldBody&) = delete;

  /// The whole body, positioned at its start; seekable (tellg/seekg), so a put can re-send it.
  std::istream& content() { return *content_; }
  /// True when held in memory, false when in the spool file.
  bool inMemory() const { return spoolFile_.empty(); }

 private:
  HeldBody(std::unique_ptr<std::istream> content, std::filesystem::path spoolFile)
      : content_(std::move(content)), spoolFile_(std::move(spoolFile)) {}

  std::unique_ptr<std::istream> content_;
  std::filesystem::path spoolFile_;  ///< empty when held in memory
};

}  // namespace ambita::filing
