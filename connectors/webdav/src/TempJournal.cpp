#include "TempJournal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>

#include "dms/common/BookkeepingNames.h"

namespace dms::webdav {

TempJournal::TempJournal(const std::string& dataDir) {
  if (!dataDir.empty()) folder_ = std::filesystem::path(dataDir) / "webdav-in-flight";
}

TempJournal::~TempJournal() {
  for (const auto& file : closeIdle()) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
  }
}

TempJournal::Entry::~Entry() {
  if (journal_ != nullptr)
    journal_->finish(std::move(record_));
  else if (record_.fd >= 0)
    ::close(record_.fd);  // kept for recover(): filled, as a crash would leave it
}

namespace {

/// Writes all of `bytes` at `offset`.
bool writeAllAt(int fd, const std::string& bytes, off_t offset) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

TempJournal::Entry TempJournal::begin(const std::vector<std::string>& paths) {
  if (folder_.empty()) return Entry();
  Record record;
  {
    std::lock_guard lock(idleMutex_);
    if (!idle_.empty()) {
      record = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  std::error_code ec;
  if (record.fd < 0) {
    std::filesystem::create_directories(folder_, ec);
    // makeTempName gives 64 random bits; the name only has to be unique in this folder.
    record.file = folder_ / common::makeTempName("put");
    record.fd = ::open(record.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (record.fd < 0) return Entry();
  }
  std::string lines;
  for (const auto& path : paths) lines += path + '\n';
  // The file is empty (new, or emptied by finish()): one write fills it.
  if (!writeAllAt(record.fd, lines, 0)) {
    ::close(record.fd);
    std::filesystem::remove(record.file, ec);
    return Entry();
  }
  return Entry(*this, std::move(record));
}

void TempJournal::finish(Record record) noexcept {
  std::error_code ec;
  if (::ftruncate(record.fd, 0) != 0) {
    // Not emptied: removed instead, so that recover() does not take the put for unfinished.
    ::close(record.fd);
    std::filesystem::remove(record.file, ec);
    return;
  }
  try {
    std::lock_guard lock(idleMutex_);
    idle_.push_back(record);
  } catch (...) {
    ::close(record.fd);  // no memory to keep it: an empty file, removed
    std::filesystem::remove(record.file, ec);
  }
}

std::vector<std::filesystem::path> TempJournal::closeIdle() noexcept {
  std::vector<Record> idle;
  {
    std::lock_guard lock(idleMutex_);
    idle.swap(idle_);
  }
  std::vector<std::filesystem::path> files;
  for (auto& record : idle) {
    ::close(record.fd);
    try {
      files.push_back(std::move(record.file));
    } catch (...) {
    }
  }
  return files;
}

void TempJournal::forEachAbandoned(
    const std::function<bool(const std::vector<std::string>&)>& clean) {
  if (folder_.empty()) return;
  closeIdle();  // their files are empty: removed below with every finished record
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
