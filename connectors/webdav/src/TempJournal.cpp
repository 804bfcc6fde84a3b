#include "TempJournal.h"

#include <fstream>
#include <random>

#include "dms/common/BookkeepingNames.h"

namespace dms::webdav {

TempJournal::TempJournal(const std::string& dataDir) {
  if (!dataDir.empty()) folder_ = std::filesystem::path(dataDir) / "webdav-in-flight";
}

TempJournal::~TempJournal() {
  for (const auto& file : idle_) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
  }
}

TempJournal::Entry::~Entry() {
  if (journal_) journal_->finish(file_);
}

TempJournal::Entry TempJournal::begin(const std::vector<std::string>& paths) {
  if (folder_.empty()) return Entry();
  std::filesystem::path file;
  {
    std::lock_guard lock(idleMutex_);
    if (!idle_.empty()) {
      file = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  std::error_code ec;
  if (file.empty()) {
    std::filesystem::create_directories(folder_, ec);
    // makeTempName gives 64 random bits; the name only has to be unique in this folder.
    file = folder_ / common::makeTempName("put");
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  for (const auto& path : paths) out << path << '\n';
  out.close();
  if (!out) {
    std::filesystem::remove(file, ec);
    return Entry();
  }
  return Entry(*this, std::move(file));
}

void TempJournal::finish(const std::filesystem::path& file) noexcept {
  std::error_code ec;
  std::filesystem::resize_file(file, 0, ec);
  if (ec) {
    // Not emptied: removed instead, so that recover() does not take the put for unfinished.
    std::filesystem::remove(file, ec);
    return;
  }
  try {
    std::lock_guard lock(idleMutex_);
    idle_.push_back(file);
  } catch (...) {
    std::filesystem::remove(file, ec);  // no memory to keep it: an empty file, removed
  }
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
    // Empty: a finished put's file kept for reuse (this process's or a stopped one's).
    if (!lines.empty() && !clean(lines)) continue;
    std::error_code ignored;
    std::filesystem::remove(entry.path(), ignored);
  }
}

}  // namespace dms::webdav
