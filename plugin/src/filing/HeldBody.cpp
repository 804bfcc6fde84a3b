#include "filing/HeldBody.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace ambita::filing {
namespace {

/// First buffer for a body of unknown size; doubled up to the memory limit as it fills.
constexpr std::size_t kFirstBlockBytes = 64 * 1024;

/// Reads the body into `held` until its end or until it has more than `memoryLimit` bytes;
/// `held` keeps exactly the bytes read. One byte beyond the limit is asked for, so that a
/// body of exactly `memoryLimit` bytes is known to have ended.
void readUpTo(api::DownloadBody& body, std::size_t memoryLimit, std::string& held) {
  const auto declared = body.expectedSize();
  held.resize(declared ? static_cast<std::size_t>(*declared) + 1
                       : std::min(memoryLimit + 1, kFirstBlockBytes));
  std::size_t used = 0;
  while (body && used <= memoryLimit) {
    if (used == held.size()) held.resize(std::min(held.size() * 2, memoryLimit + 1));
    body.read(held.data() + used, static_cast<std::streamsize>(held.size() - used));
    used += static_cast<std::size_t>(body.gcount());
  }
  held.resize(used);
}

}  // namespace

dms::Result<std::unique_ptr<HeldBody>> HeldBody::hold(api::DownloadBody& body,
                                                      std::size_t memoryLimit,
                                                      const std::filesystem::path& spoolFile) {
  std::string held;
  const auto declared = body.expectedSize();
  if (!declared || *declared <= memoryLimit) {
    readUpTo(body, memoryLimit, held);
    if (body.bad())
      return dms::fail(dms::ErrorCode::DataLoss, "the download failed while held in memory");
    if (held.size() <= memoryLimit)  // the body ended within the limit
      return std::unique_ptr<HeldBody>(
          new HeldBody(std::make_unique<std::istringstream>(std::move(held)), {}));
  }

  // Too big to hold in memory: the spool file gets what was read and the rest.
  std::unique_ptr<HeldBody> spooled(new HeldBody(nullptr, spoolFile));  // removes it if we fail
  if (auto saved = api::saveTo(body, spoolFile, held); !saved) return saved.error();
  held = std::string();
  auto in = std::make_unique<std::ifstream>(spoolFile, std::ios::binary);
  if (!*in)
    return dms::fail(dms::ErrorCode::Internal,
                     "spool file " + spoolFile.string() + " cannot be read");
  spooled->content_ = std::move(in);
  return spooled;
}

HeldBody::~HeldBody() {
  content_.reset();  // closed before it is removed
  if (spoolFile_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(spoolFile_, ignored);
}

}  // namespace ambita::filing
