#include "FilesystemArchive.h"

#include <sys/xattr.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "support/FileDigest.h"

namespace dms::e2e {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kXattrPrefix = "user.dms.";
constexpr std::string_view kSidecarPrefix = ".dms-meta-";
constexpr std::string_view kSidecarSuffix = ".json";

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool isSidecar(const std::string& name) {
  return startsWith(name, kSidecarPrefix) &&
         name.size() > kSidecarPrefix.size() + kSidecarSuffix.size() &&
         name.compare(name.size() - kSidecarSuffix.size(), kSidecarSuffix.size(), kSidecarSuffix) ==
             0;
}

std::string fileOfSidecar(const std::string& name) {
  return name.substr(kSidecarPrefix.size(),
                     name.size() - kSidecarPrefix.size() - kSidecarSuffix.size());
}

std::map<std::string, std::string> readXattrs(const fs::path& path) {
  std::map<std::string, std::string> metadata;
  const ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size <= 0) return metadata;
  std::string names(static_cast<std::size_t>(size), '\0');
  const ssize_t got = ::llistxattr(path.c_str(), names.data(), names.size());
  if (got < 0) throw std::runtime_error("listxattr failed on " + path.string());
  names.resize(static_cast<std::size_t>(got));
  std::size_t start = 0;
  while (start < names.size()) {
    const std::string name = names.c_str() + start;
    start += name.size() + 1;
    if (!startsWith(name, kXattrPrefix)) continue;
    const ssize_t length = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (length < 0) continue;
    std::string value(static_cast<std::size_t>(length), '\0');
    const ssize_t read = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (read < 0) continue;
    value.resize(static_cast<std::size_t>(read));
    metadata[name.substr(kXattrPrefix.size())] = value;
  }
  return metadata;
}

std::map<std::string, std::string> readSidecar(const fs::path& sidecar) {
  std::ifstream in(sidecar, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  Poco::JSON::Parser parser;
  auto document = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
  auto values = document->getObject("metadata");
  if (!values) throw std::runtime_error("sidecar without \"metadata\": " + sidecar.string());
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : *values) metadata[key] = value.toString();
  return metadata;
}

}  // namespace

std::vector<FiledFile> FilesystemArchive::files() const {
  std::vector<FiledFile> result;
  if (!fs::exists(root_)) return result;
  for (auto it = fs::recursive_directory_iterator(root_); it != fs::recursive_directory_iterator();
       ++it) {
    const auto& entry = *it;
    if (entry.is_symlink() || !entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (startsWith(name, ".dms-")) continue;  // bookkeeping: sidecars, temporaries
    FiledFile file;
    file.path = fs::relative(entry.path(), root_).generic_string();
    file.size = entry.file_size();
    file.sha256 = test::FileDigest::sha256(entry.path());
    const auto sidecar = entry.path().parent_path() /
                         (std::string(kSidecarPrefix) + name + std::string(kSidecarSuffix));
    file.metadata = fs::exists(sidecar) ? readSidecar(sidecar) : readXattrs(entry.path());
    result.push_back(std::move(file));
  }
  std::sort(result.begin(), result.end(),
            [](const FiledFile& a, const FiledFile& b) { return a.path < b.path; });
  return result;
}

std::vector<std::string> FilesystemArchive::leftovers() const {
  std::vector<std::string> result;
  if (!fs::exists(root_)) return result;
  for (auto it = fs::recursive_directory_iterator(root_); it != fs::recursive_directory_iterator();
       ++it) {
    const auto& entry = *it;
    const std::string relative = fs::relative(entry.path(), root_).generic_string();
    if (entry.is_symlink()) {
      result.push_back(relative + " (symlink)");
      continue;
    }
    if (entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (!startsWith(name, ".dms-")) continue;
    if (isSidecar(name) && fs::is_regular_file(entry.path().parent_path() / fileOfSidecar(name)))
      continue;
    result.push_back(relative);
  }
  return result;
}

std::vector<std::string> FilesystemArchive::folders() const {
  std::vector<std::string> result;
  if (!fs::exists(root_)) return result;
  for (auto it = fs::recursive_directory_iterator(root_); it != fs::recursive_directory_iterator();
       ++it)
    if (it->is_directory() && !it->is_symlink())
      result.push_back(fs::relative(it->path(), root_).generic_string());
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace dms::e2e
