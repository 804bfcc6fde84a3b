#pragma once
/// The module loader (target DmsHostSdk::loader): opens plugin and connector modules with
/// Boost.DLL, reads their descriptor (ModuleInfo.h) BEFORE calling any factory, and answers
/// with a closed set of outcomes (LoadOutcome), each with a message naming the file.
///
///   dms::ModuleLoader loader;                       // this host's interface version and tag
///   dms::PluginModule module = loader.loadPlugin(loader.pluginFile(folder, "ambita"));
///   if (!module.ok()) { log(module.report().message); return; }
///   auto plugin = module.create(services);          // Result<ModulePtr<Plugin>>
///
/// Versions: a module built for the host's interface major and a minor no newer than the host's
/// loads (IncompatibleVersion otherwise, naming both versions). A target made by a connector
/// built for an OLDER minor is handed out behind a shield that forwards only the methods that
/// minor knows; the methods added since keep their default (so a newer plugin may call
/// DocumentTarget::cancel() on any target).
///
/// Lifetime: every object handed out (factory pointers, plugins, targets) holds a reference
/// to its library, so the library stays loaded for as long as any of them lives, however
/// long the loader or the module handle lives. Nothing here throws.
///
/// File names: plugins are "dms-plugin-<name>.so", connectors "dms-connector-<name>.so".

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dms/Connector.h"
#include "dms/Error.h"
#include "dms/ModuleInfo.h"
#include "dms/Plugin.h"

namespace dms {

enum class ModuleKind { Plugin, Connector };

/// "plugin" / "connector", as written in DmsModuleDescriptor::kind.
std::string_view toString(ModuleKind kind);

/// What became of one attempt to load (or inspect) a module. Closed set.
enum class LoadOutcome {
  Loaded,                ///< descriptor accepted (and, for load*, the factory obtained)
  FileNotFound,          ///< no file at that path
  NotAModule,            ///< not a loadable library, no descriptor symbol, or bad magic
  WrongKind,             ///< a connector where a plugin was asked for, or the reverse
  IncompatibleVersion,   ///< built for another interface major, or a newer minor than the host's
  IncompatibleCompiler,  ///< built with another compiler / standard library (tag mismatch)
  InitFailed,            ///< descriptor fine, but the factory entry is missing, null or threw
};

/// "Loaded", "FileNotFound", ...
std::string_view toString(LoadOutcome outcome);

/// A copy of a module's descriptor (the strings are copied: valid after the library is gone).
struct ModuleDescriptor {
  InterfaceVersion interfaceVersion;
  std::string kind;
  std::string name;
  std::string version;
  std::string compilerTag;
};

/// The answer about one module file.
struct LoadReport {
  std::filesystem::path file;
  LoadOutcome outcome = LoadOutcome::NotAModule;
  /// Always names the file; for refusals says why (e.g. "built for host-sdk interface 1.3, this
  /// host supports 1.2: update the host"); for Loaded a one-line summary (and notes such as a file
  /// name that does not follow the naming convention).
  std::string message;
  /// Set when the descriptor could be read in full (also for WrongKind/IncompatibleCompiler).
  std::optional<ModuleDescriptor> descriptor;

  bool ok() const { return outcome == LoadOutcome::Loaded; }
};

/// Deleter of objects made by a module: deletes the object (its destructor is module code),
/// then drops the reference to the library (also on unique_ptr::reset(), which keeps the
/// deleter). Used by ModulePtr; one deleter serves one object.
struct ModuleObjectDeleter {
  /// Keeps the module loaded while the object lives. Mutable: released by the deletion.
  mutable std::shared_ptr<void> library;

  template <class T>
  void operator()(T* object) const noexcept {
    std::shared_ptr<void> keepUntilDeleted = std::move(library);
    delete object;
  }
};

/// An object made by a module that keeps the module loaded until it is destroyed.
template <class T>
using ModulePtr = std::unique_ptr<T, ModuleObjectDeleter>;

/// A loaded plugin module (or the reason it was refused). Cheap to copy; thread-safe to use
/// from several threads once loaded (the factory is const).
class PluginModule {
 public:
  PluginModule() = default;
  /// `hostInterface`: the loader's version; plugins of a module built for an older minor are
  /// shielded (see the top of this file).
  PluginModule(LoadReport report, std::shared_ptr<void> library,
               std::shared_ptr<const PluginFactory> factory,
               InterfaceVersion hostInterface = kInterfaceVersion);

  const LoadReport& report() const { return report_; }
  bool ok() const { return report_.ok() && factory_ != nullptr; }
  /// Null unless ok(). Keeps the library loaded while held.
  const std::shared_ptr<const PluginFactory>& factory() const { return factory_; }

  /// Makes the plugin with the factory. A module built for an older minor gets its plugin
  /// shielded (methods newer than its minor keep their defaults). Errors: Internal when the
  /// module is not loaded or the factory misbehaved (null, exception); otherwise whatever the
  /// factory reports.
  Result<ModulePtr<Plugin>> create(const HostServices& services) const;

 private:
  LoadReport report_;
  std::shared_ptr<void> library_;
  std::shared_ptr<const PluginFactory> factory_;
  InterfaceVersion hostInterface_ = kInterfaceVersion;
};

/// A loaded connector module (or the reason it was refused). Same rules as PluginModule.
class ConnectorModule {
 public:
  ConnectorModule() = default;
  /// `hostInterface`: the loader's version; targets of a connector built for an older minor
  /// are shielded (see the top of this file).
  ConnectorModule(LoadReport report, std::shared_ptr<void> library,
                  std::shared_ptr<const ConnectorFactory> factory,
                  InterfaceVersion hostInterface = kInterfaceVersion);

  const LoadReport& report() const { return report_; }
  bool ok() const { return report_.ok() && factory_ != nullptr; }
  /// Null unless ok(). Keeps the library loaded while held.
  const std::shared_ptr<const ConnectorFactory>& factory() const { return factory_; }

  /// Makes a document target (recover() not called). The shared_ptr keeps the library loaded.
  /// A connector built for an older minor gets its target shielded. Errors: as
  /// PluginModule::create.
  Result<std::shared_ptr<DocumentTarget>> create(const ConnectorContext& context) const;

 private:
  LoadReport report_;
  std::shared_ptr<void> library_;
  std::shared_ptr<const ConnectorFactory> factory_;
  InterfaceVersion hostInterface_ = kInterfaceVersion;
};

/// Opens modules. Holds no library itself; stateless apart from what it accepts.
class ModuleLoader {
 public:
  static constexpr std::string_view kPluginPrefix = "dms-plugin-";
  static constexpr std::string_view kConnectorPrefix = "dms-connector-";
  static constexpr std::string_view kSuffix = ".so";

  /// The defaults are evaluated in the caller's translation unit: a host accepts modules built
  /// for the interface version it was built with (or an older minor of it) and with the same
  /// compiler tag.
  explicit ModuleLoader(InterfaceVersion interfaceVersion = kInterfaceVersion,
                        std::string compilerTag = DMS_COMPILER_TAG);

  /// Reads and checks the descriptor; never calls a factory; unloads the library again.
  /// With `expected`, a module of the other kind is WrongKind.
  LoadReport inspect(const std::filesystem::path& file,
                     std::optional<ModuleKind> expected = std::nullopt) const;

  /// inspect(file, Plugin), then obtains the factory (dms_plugin_factory).
  PluginModule loadPlugin(const std::filesystem::path& file) const;

  /// inspect(file, Connector), then obtains the factory (dms_connector_factory).
  ConnectorModule loadConnector(const std::filesystem::path& file) const;

  /// One report per "*.so" file in `folder`, sorted by file name; the kind expected from the
  /// name prefix (a file without either prefix is inspected for any kind, with a note).
  /// Error: NotFound / InvalidArgument when the folder is missing or not a folder.
  Result<std::vector<LoadReport>> scan(const std::filesystem::path& folder) const;

  /// folder / "dms-plugin-<name>.so"
  static std::filesystem::path pluginFile(const std::filesystem::path& folder,
                                          std::string_view name);
  /// folder / "dms-connector-<name>.so"
  static std::filesystem::path connectorFile(const std::filesystem::path& folder,
                                             std::string_view name);

  InterfaceVersion interfaceVersion() const { return interfaceVersion_; }
  const std::string& compilerTag() const { return compilerTag_; }

 private:
  struct Opened;
  Opened open(const std::filesystem::path& file, std::optional<ModuleKind> expected) const;

  InterfaceVersion interfaceVersion_;
  std::string compilerTag_;
};

}  // namespace dms
