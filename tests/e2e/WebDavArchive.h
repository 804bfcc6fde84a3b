#pragma once
/// ArchiveView of a WebDAV target served by Apache (tests/support/ApacheServer.h): the bytes are
/// read from Apache's document root on disk (so temporaries show too), the metadata is asked
/// from the server by an independent client, as a DMS user would: PROPFIND Depth 0 per file,
/// properties in the connector's namespace "urn:ambita-dms:meta:1" (local name "m_" + key with
/// characters other than [A-Za-z0-9.-] written "_XX"), or the JSON sidecar when there is one.

#include <filesystem>
#include <string>

#include "ArchiveView.h"

namespace dms::e2e {

class WebDavArchive : public ArchiveView {
 public:
  /// `folder`: the collection's folder on disk; `url`: its URL with a trailing slash
  /// ("http://127.0.0.1:PORT/dav/name/"); user/password for Basic authentication (empty: none).
  WebDavArchive(std::filesystem::path folder, std::string url, std::string user = "",
                std::string password = "");

  // ArchiveView
  std::vector<FiledFile> files() const override;
  std::vector<std::string> leftovers() const override;
  std::vector<std::string> folders() const override;
  std::string describe() const override { return "WebDAV collection " + url_; }

  /// The metadata of one file by PROPFIND (`relativePath` '/'-separated, not encoded).
  /// Throws std::runtime_error on anything but 207.
  std::map<std::string, std::string> propfind(const std::string& relativePath) const;

 private:
  std::filesystem::path folder_;
  std::string url_;
  std::string user_;
  std::string password_;
};

}  // namespace dms::e2e
