#include "api/OrderApi.h"

#include <system_error>

namespace ambita::api {

dms::Result<Download> OrderApi::downloadAsset(const std::string& downloadUrl,
                                              const std::filesystem::path& destination) {
  auto downloaded =
      streamAsset(downloadUrl, [&](DownloadBody& body) { return saveTo(body, destination); });
  if (!downloaded) {
    // Whatever went wrong, no partial file is left behind.
    std::error_code ignored;
    if (std::filesystem::is_regular_file(destination, ignored))
      std::filesystem::remove(destination, ignored);
  }
  return downloaded;
}

}  // namespace ambita::api
