// An in-memory document target used to test the loader and dms-host. It implements the core
// honestly (folders, atomic put, metadata, list, remove; the connectors' path and metadata
// rules) and passes the connector conformance suite, but keeps nothing after it is gone.
// It counts recover() and cancel() calls so tests can see that the host never calls recover()
// and whether cancel() reached the module. Not part of the product.
//
// Built twice: as "memory" for this SDK's interface, and with DMS_TEST_OLDER_MINOR as
// "memoryold", declaring the previous minor (a connector from before cancel() existed: the
// loader must not forward cancel() to it, see ModuleLoaderTest).
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "dms/Connector.h"
#include "dms/ModuleInfo.h"
#include "dms/common/MetadataRules.h"
#include "dms/common/PathRules.h"

namespace {

using dms::common::RootPolicy;

/// Paths follow dms_connector_common's rules, as every real connector's do (the connector
/// conformance suite runs against this target: tests/host-sdk/MemoryConformanceTest.cpp).
class MemoryTarget final : public dms::DocumentTarget {
 public:
  explicit MemoryTarget(std::string label) : label_(std::move(label)) { folders_.insert(""); }

  dms::Capabilities capabilities() const override { return {true, true, false, false}; }

  std::string describe() const override {
    std::lock_guard lock(mutex_);
    return "memory:" + label_ + " recovered=" + std::to_string(recovered_) +
           " cancelled=" + std::to_string(cancelled_);
  }

  dms::Status ensureFolder(const std::string& rawPath) override {
    auto path = dms::common::normalisePath(rawPath, RootPolicy::Allow);
    if (!path) return path.error();
    std::lock_guard lock(mutex_);
    std::string folder;
    for (const auto& segment : dms::common::splitPath(*path)) {
      folder = dms::common::childPath(folder, segment);
      if (files_.count(folder))
        return dms::fail(dms::ErrorCode::Conflict, dms::common::quotePath(folder) + " is a file");
      folders_.insert(folder);
    }
    return {};
  }

  dms::Result<dms::EntryInfo> put(const std::string& rawPath, std::istream& content,
                                  const dms::Metadata& metadata, dms::PutMode mode) override {
    auto path = dms::common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!path) return path.error();
    if (auto valid = dms::common::validateMetadata(metadata, *path); !valid) return valid.error();
    // Read before taking the lock: the content's reader may call this target meanwhile.
    std::string bytes;
    bool readFailed = false;
    try {
      bytes.assign(std::istreambuf_iterator<char>(content), std::istreambuf_iterator<char>());
    } catch (...) {
      readFailed = true;  // the stream's buffer threw (a broken download)
    }
    if (readFailed || content.bad())
      return dms::fail(dms::ErrorCode::DataLoss,
                       "reading the content of " + dms::common::quotePath(*path) + " failed");
    std::lock_guard lock(mutex_);
    if (!folders_.count(dms::common::parentPath(*path)))
      return dms::fail(dms::ErrorCode::Conflict,
                       "the folder of " + dms::common::quotePath(*path) + " does not exist");
    if (folders_.count(*path))
      return dms::fail(dms::ErrorCode::Conflict, dms::common::quotePath(*path) + " is a folder");
    if (mode == dms::PutMode::CreateNew && files_.count(*path))
      return dms::fail(dms::ErrorCode::AlreadyExists, dms::common::quotePath(*path) + " exists");
    files_[*path] = File{bytes, metadata};
    return dms::EntryInfo{*path, dms::common::baseName(*path), dms::EntryType::File, bytes.size(),
                          0};
  }

  dms::Result<std::unique_ptr<std::istream>> get(const std::string& rawPath) override {
    auto file = find(rawPath);
    if (!file) return file.error();
    return std::unique_ptr<std::istream>(std::make_unique<std::istringstream>(file->content));
  }

  dms::Result<dms::Metadata> readMetadata(const std::string& rawPath) override {
    auto file = find(rawPath);
    if (!file) return file.error();
    return file->metadata;
  }

  dms::Status writeMetadata(const std::string& rawPath, const dms::Metadata& metadata) override {
    auto path = dms::common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!path) return path.error();
    if (auto valid = dms::common::validateMetadata(metadata, *path); !valid) return valid;
    std::lock_guard lock(mutex_);
    auto it = files_.find(*path);
    if (it == files_.end()) return notFound(*path);
    it->second.metadata = metadata;
    return {};
  }

  dms::Result<dms::EntryInfo> stat(const std::string& rawPath) override {
    auto path = dms::common::normalisePath(rawPath, RootPolicy::Allow);
    if (!path) return path.error();
    std::lock_guard lock(mutex_);
    const std::string name = dms::common::baseName(*path);
    if (auto it = files_.find(*path); it != files_.end())
      return dms::EntryInfo{*path, name, dms::EntryType::File, it->second.content.size(), 0};
    if (folders_.count(*path)) return dms::EntryInfo{*path, name, dms::EntryType::Folder, 0, 0};
    return notFound(*path);
  }

  dms::Result<std::vector<dms::EntryInfo>> list(const std::string& rawFolder) override {
    auto folder = dms::common::normalisePath(rawFolder, RootPolicy::Allow);
    if (!folder) return folder.error();
    std::lock_guard lock(mutex_);
    if (files_.count(*folder))
      return dms::fail(dms::ErrorCode::Conflict, dms::common::quotePath(*folder) + " is a file");
    if (!folders_.count(*folder)) return notFound(*folder);
    std::map<std::string, dms::EntryInfo> children;  // sorted by name
    for (const auto& [path, file] : files_)
      if (dms::common::parentPath(path) == *folder)
        children[dms::common::baseName(path)] = {path, dms::common::baseName(path),
                                                 dms::EntryType::File, file.content.size(), 0};
    for (const auto& path : folders_)
      if (!path.empty() && dms::common::parentPath(path) == *folder)
        children[dms::common::baseName(path)] = {path, dms::common::baseName(path),
                                                 dms::EntryType::Folder, 0, 0};
    std::vector<dms::EntryInfo> entries;
    for (auto& [name, entry] : children) entries.push_back(entry);
    return entries;
  }

  dms::Status remove(const std::string& rawPath, bool pruneEmptyParents) override {
    auto path = dms::common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!path) return path.error();
    std::lock_guard lock(mutex_);
    if (!files_.erase(*path)) return notFound(*path);
    if (!pruneEmptyParents) return {};
    for (std::string folder = dms::common::parentPath(*path); !folder.empty() && isEmpty(folder);
         folder = dms::common::parentPath(folder))
      folders_.erase(folder);
    return {};
  }

  dms::Status move(const std::string& from, const std::string&) override {
    return dms::fail(dms::ErrorCode::NotSupported,
                     "memory target cannot move " + dms::common::quotePath(from));
  }

  dms::Status recover() override {
    std::lock_guard lock(mutex_);
    ++recovered_;
    return {};
  }

  void cancel() noexcept override {
    std::lock_guard lock(mutex_);
    ++cancelled_;
  }

 private:
  struct File {
    std::string content;
    dms::Metadata metadata;
  };

  static dms::Error notFound(const std::string& path) {
    return dms::fail(dms::ErrorCode::NotFound, dms::common::quotePath(path) + " not found");
  }

  /// A copy of the file at `rawPath`. Errors: InvalidArgument, NotFound.
  dms::Result<File> find(const std::string& rawPath) const {
    auto path = dms::common::normalisePath(rawPath, RootPolicy::Refuse);
    if (!path) return path.error();
    std::lock_guard lock(mutex_);
    auto it = files_.find(*path);
    if (it == files_.end()) return notFound(*path);
    return it->second;
  }

  /// Whether `folder` has no files and no folders in it. Called with mutex_ held.
  bool isEmpty(const std::string& folder) const {
    const auto inside = [&](const std::string& path) {
      return dms::common::parentPath(path) == folder;
    };
    return std::none_of(files_.begin(), files_.end(),
                        [&](const auto& entry) { return inside(entry.first); }) &&
           std::none_of(folders_.begin(), folders_.end(), inside);
  }

  mutable std::mutex mutex_;
  std::string label_;
  std::map<std::string, File> files_;
  std::set<std::string> folders_;
  int recovered_ = 0;
  int cancelled_ = 0;
};

class MemoryConnectorFactory final : public dms::ConnectorFactory {
 public:
  dms::ConfigSchema configSchema() const override {
    using dms::OptionType;
    return {{
        {"label", OptionType::String, "\"mem\"", false, false, "shown by describe()"},
        {"apiKey", OptionType::String, "", false, true, "a secret of the connector"},
    }};
  }

  dms::Result<std::unique_ptr<dms::DocumentTarget>> create(
      const dms::ConnectorContext& context) const override {
    try {
      Poco::JSON::Parser parser;
      auto config = parser.parse(context.configJson).extract<Poco::JSON::Object::Ptr>();
      const std::string label = config->optValue<std::string>("label", "mem");
      context.logger->debug("memory", "target '" + label + "' created in " + context.dataDir);
      return std::unique_ptr<dms::DocumentTarget>(std::make_unique<MemoryTarget>(label));
    } catch (const Poco::Exception& e) {
      return dms::fail(dms::ErrorCode::InvalidArgument, "target: " + e.displayText());
    }
  }
};

}  // namespace

#if defined(DMS_TEST_OLDER_MINOR)  // "memoryold": built for the previous interface minor
#include "OlderMinor.h"
DMS_MODULE_DESCRIPTOR_("connector", "memoryold", "0.0.1", kOlderMinorForTest.encoded())
DMS_MODULE_FACTORY_(dms::ConnectorFactory, dms_connector_factory, MemoryConnectorFactory)
#else
DMS_DECLARE_CONNECTOR("memory", "0.0.1", MemoryConnectorFactory)
#endif
