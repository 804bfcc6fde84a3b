// An in-memory document target used to test the loader and dms-host. It implements the core
// honestly (folders, atomic put, metadata, list, remove) but keeps nothing after it is gone.
// It counts recover() and cancel() calls so tests can see that the host never calls recover()
// and whether cancel() reached the module. Not part of the product.
//
// Built twice: as "memory" for this SDK's interface, and with DMS_TEST_OLDER_MINOR as
// "memoryold", declaring the previous minor (a connector from before cancel() existed: the
// loader must not forward cancel() to it, see ModuleLoaderTest).
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "dms/Connector.h"
#include "dms/ModuleInfo.h"

namespace {

std::string parentOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string nameOf(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class MemoryTarget final : public dms::DocumentTarget {
 public:
  explicit MemoryTarget(std::string label) : label_(std::move(label)) { folders_.insert(""); }

  dms::Capabilities capabilities() const override { return {true, true, false, false}; }

  std::string describe() const override {
    std::lock_guard lock(mutex_);
    return "memory:" + label_ + " recovered=" + std::to_string(recovered_) +
           " cancelled=" + std::to_string(cancelled_);
  }

  dms::Status ensureFolder(const std::string& path) override {
    if (auto bad = check(path); !bad) return bad;
    std::lock_guard lock(mutex_);
    for (std::string folder = path; !folder.empty(); folder = parentOf(folder)) {
      if (files_.count(folder))
        return dms::fail(dms::ErrorCode::Conflict, "'" + folder + "' is a file");
      folders_.insert(folder);
    }
    return {};
  }

  dms::Result<dms::EntryInfo> put(const std::string& path, std::istream& content,
                                  const dms::Metadata& metadata, dms::PutMode mode) override {
    if (auto bad = check(path); !bad) return bad.error();
    std::string bytes;
    try {
      bytes.assign(std::istreambuf_iterator<char>(content), std::istreambuf_iterator<char>());
    } catch (...) {
      return dms::fail(dms::ErrorCode::DataLoss, "reading the content of '" + path + "' failed");
    }
    if (content.bad())
      return dms::fail(dms::ErrorCode::DataLoss, "reading the content of '" + path + "' failed");
    std::lock_guard lock(mutex_);
    if (!folders_.count(parentOf(path)))
      return dms::fail(dms::ErrorCode::Conflict, "folder of '" + path + "' does not exist");
    if (mode == dms::PutMode::CreateNew && files_.count(path))
      return dms::fail(dms::ErrorCode::AlreadyExists, "'" + path + "' exists");
    files_[path] = File{bytes, metadata};
    return dms::EntryInfo{path, nameOf(path), dms::EntryType::File, bytes.size(), 0};
  }

  dms::Result<std::unique_ptr<std::istream>> get(const std::string& path) override {
    std::lock_guard lock(mutex_);
    auto it = files_.find(path);
    if (it == files_.end()) return dms::fail(dms::ErrorCode::NotFound, "'" + path + "' not found");
    return std::unique_ptr<std::istream>(std::make_unique<std::istringstream>(it->second.content));
  }

  dms::Result<dms::Metadata> readMetadata(const std::string& path) override {
    std::lock_guard lock(mutex_);
    auto it = files_.find(path);
    if (it == files_.end()) return dms::fail(dms::ErrorCode::NotFound, "'" + path + "' not found");
    return it->second.metadata;
  }

  dms::Status writeMetadata(const std::string& path, const dms::Metadata& metadata) override {
    std::lock_guard lock(mutex_);
    auto it = files_.find(path);
    if (it == files_.end()) return dms::fail(dms::ErrorCode::NotFound, "'" + path + "' not found");
    it->second.metadata = metadata;
    return {};
  }

  dms::Result<dms::EntryInfo> stat(const std::string& path) override {
    std::lock_guard lock(mutex_);
    if (auto it = files_.find(path); it != files_.end())
      return dms::EntryInfo{path, nameOf(path), dms::EntryType::File, it->second.content.size(), 0};
    if (folders_.count(path))
      return dms::EntryInfo{path, nameOf(path), dms::EntryType::Folder, 0, 0};
    return dms::fail(dms::ErrorCode::NotFound, "'" + path + "' not found");
  }

  dms::Result<std::vector<dms::EntryInfo>> list(const std::string& folder) override {
    std::lock_guard lock(mutex_);
    if (!folders_.count(folder))
      return dms::fail(dms::ErrorCode::NotFound, "'" + folder + "' not found");
    std::map<std::string, dms::EntryInfo> children;
    for (const auto& [path, file] : files_)
      if (parentOf(path) == folder)
        children[nameOf(path)] = {path, nameOf(path), dms::EntryType::File, file.content.size(), 0};
    for (const auto& path : folders_)
      if (!path.empty() && parentOf(path) == folder)
        children[nameOf(path)] = {path, nameOf(path), dms::EntryType::Folder, 0, 0};
    std::vector<dms::EntryInfo> entries;
    for (auto& [name, entry] : children) entries.push_back(entry);
    return entries;
  }

  dms::Status remove(const std::string& path, bool /*pruneEmptyParents*/) override {
    std::lock_guard lock(mutex_);
    if (!files_.erase(path)) return dms::fail(dms::ErrorCode::NotFound, "'" + path + "' not found");
    return {};
  }

  dms::Status move(const std::string& from, const std::string&) override {
    return dms::fail(dms::ErrorCode::NotSupported, "memory target cannot move '" + from + "'");
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

  static dms::Status check(const std::string& path) {
    if (path.starts_with('/') || path.find("..") != std::string::npos ||
        path.find('\0') != std::string::npos)
      return dms::fail(dms::ErrorCode::InvalidArgument, "hostile path '" + path + "'");
    return {};
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
