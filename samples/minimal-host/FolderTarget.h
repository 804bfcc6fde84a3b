#pragma once
// The minimal host's own document target: files under a root folder, metadata in memory (a
// real DMS keeps it in its database). A file is written to <root>/.spool first (same file
// system, never listed) and then linked or renamed into place, so a half-written file never
// appears under its name. Paths come from the plugin, which checks them.
#include <dms/DocumentTarget.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace fs = std::filesystem;

class FolderTarget final : public dms::DocumentTarget {
 public:
  explicit FolderTarget(const fs::path& root) : root_(root), spool_(root / kSpool) {
    fs::remove_all(spool_);  // what an interrupted put left
    fs::create_directories(spool_);
  }
  dms::Capabilities capabilities() const override { return {true, true, false, false}; }
  std::string describe() const override { return "folder:" + root_.string(); }
  dms::Status ensureFolder(const std::string& path) override {
    std::error_code error;
    fs::create_directories(root_ / path, error);
    if (error) return fail(dms::ErrorCode::Unavailable, path + ": " + error.message());
    return {};
  }
  dms::Result<dms::EntryInfo> put(const std::string& path, std::istream& content,
                                  const dms::Metadata& metadata, dms::PutMode mode) override {
    const fs::path temp = spool_ / std::to_string(++temps_), file = root_ / path;
    std::ofstream(temp, std::ios::binary) << content.rdbuf();
    std::error_code error, ignored;
    if (content.bad())
      error = std::make_error_code(std::errc::io_error);
    else if (mode == dms::PutMode::Replace)
      fs::rename(temp, file, error);
    else
      fs::create_hard_link(temp, file, error);  // fails if the name is taken: never replaces
    fs::remove(temp, ignored);
    if (error == std::errc::file_exists) return fail(dms::ErrorCode::AlreadyExists, path);
    if (error) return fail(dms::ErrorCode::DataLoss, path + ": " + error.message());
    std::lock_guard lock(mutex_);
    metadata_[path] = metadata;
    return stat(path);
  }
  dms::Result<std::unique_ptr<std::istream>> get(const std::string& path) override {
    auto file = std::make_unique<std::ifstream>(root_ / path, std::ios::binary);
    if (!*file) return fail(dms::ErrorCode::NotFound, path + " not found");
    return std::unique_ptr<std::istream>(std::move(file));
  }
  dms::Result<dms::Metadata> readMetadata(const std::string& path) override {
    std::lock_guard lock(mutex_);
    if (!metadata_.count(path)) return fail(dms::ErrorCode::NotFound, path + " not found");
    return metadata_[path];
  }
  dms::Status writeMetadata(const std::string& path, const dms::Metadata& metadata) override {
    std::lock_guard lock(mutex_);
    if (!metadata_.count(path)) return fail(dms::ErrorCode::NotFound, path + " not found");
    metadata_[path] = metadata;
    return {};
  }
  dms::Result<dms::EntryInfo> stat(const std::string& path) override {
    std::error_code error;
    const auto type = fs::status(root_ / path, error).type();
    if (type != fs::file_type::regular && type != fs::file_type::directory)
      return fail(dms::ErrorCode::NotFound, path + " not found");
    const bool folder = type == fs::file_type::directory;
    return dms::EntryInfo{path, fs::path(path).filename().string(),
                          folder ? dms::EntryType::Folder : dms::EntryType::File,
                          folder ? 0 : fs::file_size(root_ / path, error), 0};
  }
  dms::Result<std::vector<dms::EntryInfo>> list(const std::string& folder) override {
    std::error_code error;
    std::vector<dms::EntryInfo> entries;
    for (const auto& entry : fs::directory_iterator(root_ / folder, error))
      if (auto info = stat((fs::path(folder) / entry.path().filename()).string());
          info && info->path != kSpool)
        entries.push_back(*info);
    if (error) return fail(dms::ErrorCode::NotFound, folder + ": " + error.message());
    std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.name < b.name; });
    return entries;
  }
  dms::Status remove(const std::string& path, bool pruneEmptyParents) override {
    std::error_code error;
    if (!fs::remove(root_ / path, error)) return fail(dms::ErrorCode::NotFound, path);
    for (auto p = fs::path(path).parent_path(); pruneEmptyParents && !p.empty();
         p = p.parent_path())
      if (!fs::is_empty(root_ / p, error) || !fs::remove(root_ / p, error)) break;
    std::lock_guard lock(mutex_);
    metadata_.erase(path);
    return {};
  }
  dms::Status move(const std::string& from, const std::string&) override {
    return fail(dms::ErrorCode::NotSupported, "cannot move " + from);  // Capabilities::move
  }
  dms::Status recover() override { return {}; }  // the constructor empties the spool

 private:
  static constexpr const char* kSpool = ".spool";
  const fs::path root_, spool_;
  std::atomic<int> temps_{0};
  std::mutex mutex_;
  std::map<std::string, dms::Metadata> metadata_;
};
