#include "TempJournal.h"

#include <fstream>
#include <random>

#include "dms/common/BookkeepingNames.h"

namespace dms::webdav {

TempJournal::TempJournal(const std::string& dataDir) {
  if (!dataDir.empty()) folder_ = std::filesystem::path(dataDir) / "webdav-in-flight";
}

TempJournal::Entry::~Entry() {
  if (file_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(file_, ignored);
}

TempJournal::Entry TempJournal::begin(const std::vector<std::string>& paths) const {
  if (folder_.empty()) return Entry();
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  // makeTempName gives 64 random bits; the name only has to be unique in this folder.
  const auto file = folder_ / common::makeTempName("put");
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  for (const auto& path : paths) out << path << '\n';
  out.close();
  if (!out) {
    std::filesystem::remove(file, ec);
    return Entry();
  }
  return Entry(file);
}

void TempJournal::forEachAbandoned(
    const std::function<bool(const std::vector<std::string>&)>& clean) const {
  if (folder_.empty()) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    std::vector<std::string> lines;
    {
      std::ifstream in(entry.path(), std::ios::binary);
      for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    }
    if (!clean(lines)) continue;
    std::error_code ignored;
    std::filesystem::remove(entry.path(), ignored);
  }
}

}  // namespace dms::webdav
