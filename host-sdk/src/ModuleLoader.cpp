#include "dms/ModuleLoader.h"

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <exception>
#include <system_error>

namespace dms {

namespace {

using Library = boost::dll::shared_library;

std::string quoted(const std::filesystem::path& file) {
  return "'" + file.string() + "'";
}

LoadReport refuse(const std::filesystem::path& file, LoadOutcome outcome, std::string why) {
  LoadReport report;
  report.file = file;
  report.outcome = outcome;
  report.message = "module " + quoted(file) + ": " + std::move(why);
  return report;
}

std::optional<ModuleKind> kindFromString(std::string_view kind) {
  if (kind == "plugin") return ModuleKind::Plugin;
  if (kind == "connector") return ModuleKind::Connector;
  return std::nullopt;
}

std::optional<ModuleKind> kindFromFileName(const std::string& name) {
  if (name.starts_with(ModuleLoader::kPluginPrefix)) return ModuleKind::Plugin;
  if (name.starts_with(ModuleLoader::kConnectorPrefix)) return ModuleKind::Connector;
  return std::nullopt;
}

std::string safeString(const char* text) {
  return text == nullptr ? std::string() : text;
}

/// Why a module built for `module` cannot be loaded by a host of `host`, and what to do.
std::string versionRefusal(InterfaceVersion module, InterfaceVersion host) {
  const bool moduleIsNewer =
      module.major > host.major || (module.major == host.major && module.minor > host.minor);
  return "built for host-sdk interface " + module.toString() + ", this host supports " +
         host.toString() +
         (moduleIsNewer ? ": update the host"
                        : ": rebuild the module against host-sdk interface " +
                              std::to_string(host.major) + ".x");
}

}  // namespace

std::string_view toString(ModuleKind kind) {
  return kind == ModuleKind::Plugin ? "plugin" : "connector";
}

std::string_view toString(LoadOutcome outcome) {
  switch (outcome) {
    case LoadOutcome::Loaded:
      return "Loaded";
    case LoadOutcome::FileNotFound:
      return "FileNotFound";
    case LoadOutcome::NotAModule:
      return "NotAModule";
    case LoadOutcome::WrongKind:
      return "WrongKind";
    case LoadOutcome::IncompatibleVersion:
      return "IncompatibleVersion";
    case LoadOutcome::IncompatibleCompiler:
      return "IncompatibleCompiler";
    case LoadOutcome::InitFailed:
      return "InitFailed";
  }
  return "Unknown";
}

/// An opened library whose descriptor passed every check (library set), or the refusal.
struct ModuleLoader::Opened {
  LoadReport report;
  std::shared_ptr<Library> library;
};

ModuleLoader::ModuleLoader(InterfaceVersion interfaceVersion, std::string compilerTag)
    : interfaceVersion_(interfaceVersion), compilerTag_(std::move(compilerTag)) {}

ModuleLoader::Opened ModuleLoader::open(const std::filesystem::path& file,
                                        std::optional<ModuleKind> expected) const {
  Opened opened;
  try {
    std::error_code fsError;
    if (!std::filesystem::exists(file, fsError)) {
      opened.report = refuse(file, LoadOutcome::FileNotFound, "file not found");
      return opened;
    }
    if (!std::filesystem::is_regular_file(file, fsError)) {
      opened.report = refuse(file, LoadOutcome::NotAModule, "not a regular file");
      return opened;
    }

    // RTLD_NOW: a module with unresolved symbols is refused here with the loader's message,
    // not later in the middle of some call. RTLD_LOCAL: modules cannot see each other.
    boost::dll::fs::error_code loadError;
    auto library = std::make_shared<Library>(
        boost::dll::fs::path(file), loadError,
        boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (loadError || !library->is_loaded()) {
      opened.report = refuse(file, LoadOutcome::NotAModule,
                             "cannot be loaded as a shared library (" + loadError.message() + ")");
      return opened;
    }
    if (!library->has("dms_module_descriptor")) {
      opened.report = refuse(file, LoadOutcome::NotAModule,
                             "not a DMS module (no dms_module_descriptor symbol)");
      return opened;
    }
    auto descriptorEntry = library->get<const DmsModuleDescriptor*()>("dms_module_descriptor");
    const DmsModuleDescriptor* raw = descriptorEntry();
    if (raw == nullptr || raw->magic != kModuleMagic) {
      opened.report =
          refuse(file, LoadOutcome::NotAModule, "not a DMS module (descriptor has a bad magic)");
      return opened;
    }
    // Only magic and interfaceVersion have a layout every version agrees on: check the
    // version before reading anything else.
    const auto moduleVersion = InterfaceVersion::decode(raw->interfaceVersion);
    if (!interfaceVersion_.accepts(moduleVersion)) {
      opened.report = refuse(file, LoadOutcome::IncompatibleVersion,
                             versionRefusal(moduleVersion, interfaceVersion_));
      return opened;
    }

    ModuleDescriptor descriptor{moduleVersion, safeString(raw->kind), safeString(raw->name),
                                safeString(raw->version), safeString(raw->compilerTag)};
    const auto kind = kindFromString(descriptor.kind);
    if (!kind || descriptor.name.empty()) {
      opened.report = refuse(file, LoadOutcome::NotAModule,
                             "not a DMS module (descriptor has kind '" + descriptor.kind +
                                 "' and name '" + descriptor.name + "')");
      return opened;
    }
    if (descriptor.compilerTag != compilerTag_) {
      opened.report =
          refuse(file, LoadOutcome::IncompatibleCompiler,
                 "built with " + descriptor.compilerTag + ", this host with " + compilerTag_);
      opened.report.descriptor = std::move(descriptor);
      return opened;
    }
    if (expected && *kind != *expected) {
      opened.report =
          refuse(file, LoadOutcome::WrongKind,
                 "is a " + std::string(toString(*kind)) + " module ('" + descriptor.name +
                     "'), expected a " + std::string(toString(*expected)));
      opened.report.descriptor = std::move(descriptor);
      return opened;
    }

    LoadReport& report = opened.report;
    report.file = file;
    report.outcome = LoadOutcome::Loaded;
    report.message = "module " + quoted(file) + ": " + descriptor.kind + " '" + descriptor.name +
                     "' " + descriptor.version + " (interface " +
                     descriptor.interfaceVersion.toString() + ", " + descriptor.compilerTag + ")";
    const std::string fileName = file.filename().string();
    const std::string conventional =
        std::string(*kind == ModuleKind::Plugin ? kPluginPrefix : kConnectorPrefix) +
        descriptor.name + std::string(kSuffix);
    if (fileName != conventional)
      report.message += "; note: file name should be '" + conventional + "' for hosts to find it";
    report.descriptor = std::move(descriptor);
    opened.library = std::move(library);
  } catch (const std::exception& e) {
    opened.library.reset();
    opened.report =
        refuse(file, LoadOutcome::NotAModule, std::string("cannot be read: ") + e.what());
  } catch (...) {
    opened.library.reset();
    opened.report = refuse(file, LoadOutcome::NotAModule, "cannot be read: unknown exception");
  }
  return opened;
}

LoadReport ModuleLoader::inspect(const std::filesystem::path& file,
                                 std::optional<ModuleKind> expected) const {
  return open(file, expected).report;
}

namespace {

/// Calls the module's factory entry; InitFailed when it is missing, null or throws.
template <class Factory>
std::shared_ptr<const Factory> obtainFactory(LoadReport& report,
                                             const std::shared_ptr<Library>& library,
                                             const char* symbol) {
  try {
    if (!library->has(symbol)) {
      report = refuse(report.file, LoadOutcome::InitFailed,
                      std::string("the module exports no ") + symbol);
      return nullptr;
    }
    auto entry = library->get<const Factory*()>(symbol);
    const Factory* factory = entry();
    if (factory == nullptr) {
      report =
          refuse(report.file, LoadOutcome::InitFailed, std::string(symbol) + "() returned null");
      return nullptr;
    }
    // Aliasing constructor: the pointer is the module's static factory, the ownership is the
    // library's, so the factory keeps the library loaded.
    return std::shared_ptr<const Factory>(library, factory);
  } catch (const std::exception& e) {
    report =
        refuse(report.file, LoadOutcome::InitFailed, std::string(symbol) + "() threw: " + e.what());
  } catch (...) {
    report = refuse(report.file, LoadOutcome::InitFailed, std::string(symbol) + "() threw");
  }
  return nullptr;
}

}  // namespace

PluginModule ModuleLoader::loadPlugin(const std::filesystem::path& file) const {
  Opened opened = open(file, ModuleKind::Plugin);
  if (!opened.report.ok()) return PluginModule(std::move(opened.report), nullptr, nullptr);
  auto descriptor = opened.report.descriptor;
  auto factory = obtainFactory<PluginFactory>(opened.report, opened.library, "dms_plugin_factory");
  if (!factory) {
    opened.report.descriptor = std::move(descriptor);
    return PluginModule(std::move(opened.report), nullptr, nullptr);
  }
  return PluginModule(std::move(opened.report), opened.library, std::move(factory),
                      interfaceVersion_);
}

ConnectorModule ModuleLoader::loadConnector(const std::filesystem::path& file) const {
  Opened opened = open(file, ModuleKind::Connector);
  if (!opened.report.ok()) return ConnectorModule(std::move(opened.report), nullptr, nullptr);
  auto descriptor = opened.report.descriptor;
  auto factory =
      obtainFactory<ConnectorFactory>(opened.report, opened.library, "dms_connector_factory");
  if (!factory) {
    opened.report.descriptor = std::move(descriptor);
    return ConnectorModule(std::move(opened.report), nullptr, nullptr);
  }
  return ConnectorModule(std::move(opened.report), opened.library, std::move(factory),
                         interfaceVersion_);
}

Result<std::vector<LoadReport>> ModuleLoader::scan(const std::filesystem::path& folder) const {
  std::error_code error;
  if (!std::filesystem::exists(folder, error))
    return fail(ErrorCode::NotFound, "modules folder '" + folder.string() + "' does not exist");
  if (!std::filesystem::is_directory(folder, error))
    return fail(ErrorCode::InvalidArgument,
                "modules folder '" + folder.string() + "' is not a folder");

  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() == kSuffix) files.push_back(it->path());
  }
  if (error)
    return fail(ErrorCode::Unavailable,
                "cannot read modules folder '" + folder.string() + "': " + error.message());
  std::sort(files.begin(), files.end());

  std::vector<LoadReport> reports;
  reports.reserve(files.size());
  for (const auto& file : files) {
    const auto expected = kindFromFileName(file.filename().string());
    reports.push_back(inspect(file, expected));
  }
  return reports;
}

std::filesystem::path ModuleLoader::pluginFile(const std::filesystem::path& folder,
                                               std::string_view name) {
  return folder / (std::string(kPluginPrefix) + std::string(name) + std::string(kSuffix));
}

std::filesystem::path ModuleLoader::connectorFile(const std::filesystem::path& folder,
                                                  std::string_view name) {
  return folder / (std::string(kConnectorPrefix) + std::string(name) + std::string(kSuffix));
}

}  // namespace dms
