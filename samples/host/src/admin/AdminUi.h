#pragma once
/// The admin console's page (samples/host/admin-ui/: index.html, admin.css, admin.js), compiled
/// into dms-host at build time (cmake/EmbedFiles.cmake generates the definition): the console
/// needs no file at run time and nothing from the network.

#include <span>
#include <string_view>

namespace dms::host::admin {

struct EmbeddedFile {
  const char* name;         ///< path below /admin/: "" for index.html, "admin.css", ...
  const char* contentType;  ///< "text/html; charset=utf-8"
  std::string_view content;
};

std::span<const EmbeddedFile> adminUiFiles();

}  // namespace dms::host::admin
