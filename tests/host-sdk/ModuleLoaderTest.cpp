// The module loader against real modules built for this test (see CMakeLists.txt): every
// refusal outcome, that no factory of a refused module is ever called, and library lifetime.
#include "dms/ModuleLoader.h"

#include <Poco/JSON/Object.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/TempDir.h"

namespace {

const std::filesystem::path kGood = DMS_TEST_MODULE_DIR;
const std::filesystem::path kBad = DMS_TEST_BAD_MODULE_DIR;
const std::filesystem::path kOlder = DMS_TEST_OLDER_MODULE_DIR;

constexpr dms::InterfaceVersion kHost = dms::kInterfaceVersion;
const dms::InterfaceVersion kOlderMinor{kHost.major, static_cast<std::uint16_t>(kHost.minor - 1)};
const dms::InterfaceVersion kNewerMinor{kHost.major, static_cast<std::uint16_t>(kHost.minor + 1)};

/// Collects log lines (thread-safe enough for these single-threaded tests).
class CollectingLogger final : public dms::Logger {
 public:
  void log(dms::LogLevel, std::string_view source, std::string_view message) noexcept override {
    lines.push_back(std::string(source) + ": " + std::string(message));
  }
  std::vector<std::string> lines;
};

/// True while the dynamic linker still has the library mapped (does not load it).
bool isLoaded(const std::filesystem::path& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

/// JSON text of {key: value, ...}. Built with Poco on purpose: like a real host, the test
/// process then has Poco loaded before any module. Otherwise Poco would be loaded as a module's
/// dependency, bind its references to that module's copies of std:: template code, and pin the
/// module in memory (glibc), hiding whether the loader releases it.
std::string jsonObject(const std::map<std::string, std::string>& values) {
  Poco::JSON::Object object;
  for (const auto& [key, value] : values) object.set(key, value);
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

/// Points the bad modules' factories at a fresh marker folder for the test's lifetime.
class MarkerDir {
 public:
  MarkerDir() { ::setenv("DMS_TEST_MARKER_DIR", dir_.str().c_str(), 1); }
  ~MarkerDir() { ::unsetenv("DMS_TEST_MARKER_DIR"); }
  bool factoryCalled(const std::string& name) const {
    return std::filesystem::exists(dir_.path() / (name + "-factory-called"));
  }
  bool empty() const { return std::filesystem::is_empty(dir_.path()); }

 private:
  dms::test::TempDir dir_{"dms-loader-marker"};
};

TEST(ModuleLoader, MissingFileIsFileNotFoundNamingTheFile) {
  dms::ModuleLoader loader;
  const auto file = kGood / "dms-plugin-nosuch.so";
  const auto report = loader.inspect(file);
  EXPECT_EQ(report.outcome, dms::LoadOutcome::FileNotFound);
  EXPECT_NE(report.message.find(file.string()), std::string::npos) << report.message;
  const auto module = loader.loadPlugin(file);
  EXPECT_FALSE(module.ok());
  EXPECT_EQ(module.report().outcome, dms::LoadOutcome::FileNotFound);
  EXPECT_EQ(module.factory(), nullptr);
}

TEST(ModuleLoader, PlainSharedLibraryIsNotAModule) {
  dms::ModuleLoader loader;
  const auto report = loader.inspect(kBad / "dms-plugin-plain.so");
  EXPECT_EQ(report.outcome, dms::LoadOutcome::NotAModule);
  EXPECT_NE(report.message.find("no dms_module_descriptor"), std::string::npos) << report.message;
  EXPECT_NE(report.message.find("dms-plugin-plain.so"), std::string::npos) << report.message;
}

TEST(ModuleLoader, FileThatIsNoLibraryIsNotAModule) {
  dms::test::TempDir dir;
  const auto file = dir.path() / "dms-plugin-text.so";
  std::ofstream(file) << "this is not an ELF file\n";
  const auto report = dms::ModuleLoader().inspect(file);
  EXPECT_EQ(report.outcome, dms::LoadOutcome::NotAModule);
  EXPECT_NE(report.message.find("cannot be loaded as a shared library"), std::string::npos)
      << report.message;
  EXPECT_EQ(dms::ModuleLoader().inspect(dir.path()).outcome, dms::LoadOutcome::NotAModule);
}

TEST(ModuleLoader, BadMagicIsNotAModuleAndFactoryNeverCalled) {
  MarkerDir marker;
  const auto module = dms::ModuleLoader().loadPlugin(kBad / "dms-plugin-badmagic.so");
  EXPECT_EQ(module.report().outcome, dms::LoadOutcome::NotAModule);
  EXPECT_NE(module.report().message.find("bad magic"), std::string::npos);
  EXPECT_TRUE(marker.empty());
}

TEST(ModuleLoader, OtherInterfaceVersionIsRefusedNamingBothAndFactoryNeverCalled) {
  MarkerDir marker;
  dms::ModuleLoader loader;
  const auto file = kBad / "dms-plugin-v99.so";
  const auto module = loader.loadPlugin(file);
  EXPECT_FALSE(module.ok());
  EXPECT_EQ(module.report().outcome, dms::LoadOutcome::IncompatibleVersion);
  EXPECT_NE(module.report().message.find("built for host-sdk interface 99.0, this host supports " +
                                         kHost.toString() + ": update the host"),
            std::string::npos)
      << module.report().message;
  EXPECT_NE(module.report().message.find(file.string()), std::string::npos);
  EXPECT_EQ(module.factory(), nullptr);
  // Also through inspect and scan (what `dms-host modules` uses).
  EXPECT_EQ(loader.inspect(file).outcome, dms::LoadOutcome::IncompatibleVersion);
  ASSERT_TRUE(loader.scan(kBad).ok());
  EXPECT_FALSE(marker.factoryCalled("v99"));
  EXPECT_TRUE(marker.empty());
  // The marker mechanism works: calling the factory by hand does leave the marker.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr);
  auto* entry = reinterpret_cast<const void* (*)()>(::dlsym(handle, "dms_plugin_factory"));
  ASSERT_NE(entry, nullptr);
  entry();
  ::dlclose(handle);
  EXPECT_TRUE(marker.factoryCalled("v99"));
}

TEST(ModuleLoader, HostWithAnotherMajorRefusesTheGoodModule) {
  const dms::InterfaceVersion nextMajor{static_cast<std::uint16_t>(kHost.major + 1), 0};
  const auto report = dms::ModuleLoader(nextMajor).inspect(kGood / "dms-plugin-testplugin.so");
  EXPECT_EQ(report.outcome, dms::LoadOutcome::IncompatibleVersion);
  EXPECT_NE(report.message.find("built for host-sdk interface " + kHost.toString() +
                                ", this host supports " + nextMajor.toString() +
                                ": rebuild the module against host-sdk interface " +
                                std::to_string(nextMajor.major) + ".x"),
            std::string::npos)
      << report.message;
}

TEST(InterfaceVersion, EncodingKeepsModulesFromBeforeMinorsReadable) {
  // Before the interface had a minor, modules wrote 1 into interfaceVersion: that is 1.0.
  EXPECT_EQ((dms::InterfaceVersion{1, 0}).encoded(), 1u);
  EXPECT_EQ(dms::InterfaceVersion::decode(1), (dms::InterfaceVersion{1, 0}));
  EXPECT_EQ(dms::InterfaceVersion::decode(kNewerMinor.encoded()), kNewerMinor);
  EXPECT_EQ(kNewerMinor.toString(),
            std::to_string(kHost.major) + "." + std::to_string(kHost.minor + 1));
  // A host of this version loads its own and older minors of its major, nothing else.
  EXPECT_TRUE(kHost.accepts(kHost));
  EXPECT_TRUE(kHost.accepts(kOlderMinor));
  EXPECT_TRUE(kHost.accepts({kHost.major, 0}));
  EXPECT_FALSE(kHost.accepts(kNewerMinor));
  EXPECT_FALSE(kHost.accepts({static_cast<std::uint16_t>(kHost.major + 1), 0}));
  EXPECT_FALSE(kHost.accepts({static_cast<std::uint16_t>(kHost.major - 1), kHost.minor}));
}

TEST(ModuleLoader, NewerMinorIsRefusedNamingBothAndFactoryNeverCalled) {
  MarkerDir marker;
  const auto file = kBad / "dms-plugin-newerminor.so";
  const auto module = dms::ModuleLoader().loadPlugin(file);
  EXPECT_FALSE(module.ok());
  EXPECT_EQ(module.report().outcome, dms::LoadOutcome::IncompatibleVersion);
  EXPECT_NE(module.report().message.find("'" + file.string() + "': built for host-sdk interface " +
                                         kNewerMinor.toString() + ", this host supports " +
                                         kHost.toString() + ": update the host"),
            std::string::npos)
      << module.report().message;
  EXPECT_TRUE(marker.empty());
  // The same from the other side: a host of the previous minor refuses this SDK's modules.
  const auto report = dms::ModuleLoader(kOlderMinor).inspect(kGood / "dms-plugin-testplugin.so");
  EXPECT_EQ(report.outcome, dms::LoadOutcome::IncompatibleVersion);
  EXPECT_NE(report.message.find("built for host-sdk interface " + kHost.toString() +
                                ", this host supports " + kOlderMinor.toString()),
            std::string::npos)
      << report.message;
}

TEST(ModuleLoader, OtherMajorIsRefusedWhateverItsMinor) {
  MarkerDir marker;
  const auto module = dms::ModuleLoader().loadPlugin(kBad / "dms-plugin-oldmajor.so");
  EXPECT_EQ(module.report().outcome, dms::LoadOutcome::IncompatibleVersion);
  const dms::InterfaceVersion declared{static_cast<std::uint16_t>(kHost.major - 1), 7};
  EXPECT_NE(module.report().message.find("built for host-sdk interface " + declared.toString() +
                                         ", this host supports " + kHost.toString() +
                                         ": rebuild the module against host-sdk interface " +
                                         std::to_string(kHost.major) + ".x"),
            std::string::npos)
      << module.report().message;
  EXPECT_TRUE(marker.empty());
}

TEST(ModuleLoader, OlderMinorModulesLoadAndWork) {
  CollectingLogger logger;
  dms::test::TempDir dir;
  dms::ModuleLoader loader;
  const auto pluginModule = loader.loadPlugin(kOlder / "dms-plugin-testpluginold.so");
  ASSERT_TRUE(pluginModule.ok()) << pluginModule.report().message;
  EXPECT_EQ(pluginModule.report().descriptor->interfaceVersion, kOlderMinor);
  EXPECT_NE(pluginModule.report().message.find("(interface " + kOlderMinor.toString()),
            std::string::npos)
      << pluginModule.report().message;

  const auto connectorModule = loader.loadConnector(kOlder / "dms-connector-memoryold.so");
  ASSERT_TRUE(connectorModule.ok()) << connectorModule.report().message;
  auto target =
      connectorModule.create({jsonObject({{"connector", "memoryold"}}), dir.str(), &logger});
  ASSERT_TRUE(target.ok()) << target.error().describe();
  dms::HostServices services{&logger, dir.str(), jsonObject({{"token", "t"}}), *target, "test", ""};
  auto plugin = pluginModule.create(services);
  ASSERT_TRUE(plugin.ok()) << plugin.error().describe();
  std::ostringstream out, err;
  EXPECT_EQ((*plugin)->runCommand("put-file", {"a.txt", "abc"}, {&out, &err, false}), 0)
      << err.str();
  EXPECT_EQ((*target)->stat("a.txt")->size, 3u);
}

TEST(ModuleLoader, MethodsNewerThanAConnectorNeverReachIt) {
  // cancel() came with this minor: a connector built for the previous one has no such method
  // (its vtable ends before it). The stand-in below has one that counts, so a call reaching
  // it shows in describe().
  CollectingLogger logger;
  dms::test::TempDir dir;
  const dms::ConnectorContext context{jsonObject({{"connector", "memory"}}), dir.str(), &logger};
  auto older =
      dms::ModuleLoader().loadConnector(kOlder / "dms-connector-memoryold.so").create(context);
  ASSERT_TRUE(older.ok()) << older.error().describe();
  (*older)->cancel();
  (*older)->resume();
  EXPECT_NE((*older)->describe().find("cancelled=0"), std::string::npos) << (*older)->describe();

  // A connector of this minor gets cancel(), whether its host is of this minor or a newer one
  // (which shields it, forwarding what this minor has).
  for (const auto hostVersion : {kHost, kNewerMinor}) {
    auto current = dms::ModuleLoader(hostVersion)
                       .loadConnector(dms::ModuleLoader::connectorFile(kGood, "memory"))
                       .create(context);
    ASSERT_TRUE(current.ok()) << current.error().describe();
    (*current)->cancel();
    EXPECT_NE((*current)->describe().find("cancelled=1"), std::string::npos)
        << "host " << hostVersion.toString() << ": " << (*current)->describe();
  }
}

TEST(ModuleLoader, MethodsNewerThanAPluginNeverReachIt) {
  // metricsText() was appended within this minor: a plugin built for the previous one has no
  // such method. The test module has one (it counts greetings), so a call reaching it would
  // answer its family instead of the default's nothing.
  CollectingLogger logger;
  dms::test::TempDir dir;
  const auto made = [&](const dms::PluginModule& module) {
    const std::string config = jsonObject({{"token", "t"}});
    dms::HostServices services{&logger, dir.str(), config, nullptr, "test", ""};
    auto plugin = module.create(services);
    if (!plugin.ok()) throw std::runtime_error(plugin.error().describe());
    return std::move(*plugin);
  };
  std::ostringstream out, err;
  auto older = made(dms::ModuleLoader().loadPlugin(kOlder / "dms-plugin-testpluginold.so"));
  EXPECT_EQ(older->runCommand("greet", {}, {&out, &err, false}), 0) << err.str();
  EXPECT_EQ(older->metricsText(), "");

  for (const auto hostVersion : {kHost, kNewerMinor}) {
    auto current =
        made(dms::ModuleLoader(hostVersion).loadPlugin(kGood / "dms-plugin-testplugin.so"));
    EXPECT_EQ(current->runCommand("greet", {}, {&out, &err, false}), 0) << err.str();
    EXPECT_NE(current->metricsText().find("\ntestplugin_greetings_total 1\n"), std::string::npos)
        << "host " << hostVersion.toString() << ": " << current->metricsText();
  }
}

TEST(ModuleLoader, OtherCompilerTagIsRefusedNamingBothAndFactoryNeverCalled) {
  MarkerDir marker;
  const auto module = dms::ModuleLoader().loadPlugin(kBad / "dms-plugin-badtag.so");
  EXPECT_EQ(module.report().outcome, dms::LoadOutcome::IncompatibleCompiler);
  EXPECT_NE(module.report().message.find("built with msvc-19/msvcprt, this host with " +
                                         std::string(DMS_COMPILER_TAG)),
            std::string::npos)
      << module.report().message;
  ASSERT_TRUE(module.report().descriptor.has_value());
  EXPECT_EQ(module.report().descriptor->name, "badtag");
  EXPECT_TRUE(marker.empty());
}

TEST(ModuleLoader, WrongKindIsRefusedBothWays) {
  dms::ModuleLoader loader;
  const auto asPlugin = loader.loadPlugin(kGood / "dms-connector-memory.so");
  EXPECT_EQ(asPlugin.report().outcome, dms::LoadOutcome::WrongKind);
  EXPECT_NE(asPlugin.report().message.find("is a connector module ('memory'), expected a plugin"),
            std::string::npos)
      << asPlugin.report().message;
  const auto asConnector = loader.loadConnector(kGood / "dms-plugin-testplugin.so");
  EXPECT_EQ(asConnector.report().outcome, dms::LoadOutcome::WrongKind);
  EXPECT_EQ(asConnector.factory(), nullptr);
}

TEST(ModuleLoader, NullFactoryIsInitFailed) {
  const auto module = dms::ModuleLoader().loadPlugin(kBad / "dms-plugin-nullfactory.so");
  EXPECT_EQ(module.report().outcome, dms::LoadOutcome::InitFailed);
  EXPECT_NE(module.report().message.find("dms_plugin_factory() returned null"), std::string::npos)
      << module.report().message;
  ASSERT_TRUE(module.report().descriptor.has_value());
  EXPECT_EQ(module.report().descriptor->name, "nullfactory");
}

TEST(ModuleLoader, GoodModulesLoadWithTheirDescriptor) {
  dms::ModuleLoader loader;
  const auto plugin = loader.loadPlugin(dms::ModuleLoader::pluginFile(kGood, "testplugin"));
  ASSERT_TRUE(plugin.ok()) << plugin.report().message;
  ASSERT_TRUE(plugin.report().descriptor.has_value());
  EXPECT_EQ(plugin.report().descriptor->kind, "plugin");
  EXPECT_EQ(plugin.report().descriptor->name, "testplugin");
  EXPECT_EQ(plugin.report().descriptor->version, "1.2.3");
  EXPECT_EQ(plugin.report().descriptor->interfaceVersion, dms::kInterfaceVersion);
  EXPECT_NE(plugin.report().message.find("(interface " + kHost.toString() + ", "),
            std::string::npos)
      << plugin.report().message;
  EXPECT_EQ(plugin.factory()->info().configSection, "testplugin");

  const auto connector = loader.loadConnector(dms::ModuleLoader::connectorFile(kGood, "memory"));
  ASSERT_TRUE(connector.ok()) << connector.report().message;
  EXPECT_EQ(connector.report().descriptor->name, "memory");
  EXPECT_EQ(connector.factory()->configSchema().options.size(), 2u);
}

TEST(ModuleLoader, ScanReportsEveryFileWithItsReason) {
  MarkerDir marker;
  dms::test::TempDir dir;
  for (const auto& name : {"dms-plugin-v99.so", "dms-plugin-plain.so"})
    std::filesystem::copy_file(kBad / name, dir.path() / name);
  std::filesystem::copy_file(kGood / "dms-plugin-testplugin.so",
                             dir.path() / "dms-plugin-testplugin.so");
  // A connector under a plugin's name, and a module under a name outside the convention.
  std::filesystem::copy_file(kGood / "dms-connector-memory.so", dir.path() / "dms-plugin-mem.so");
  std::filesystem::copy_file(kGood / "dms-connector-memory.so", dir.path() / "oddname.so");
  std::ofstream(dir.path() / "README.txt") << "not a module, not a .so: ignored\n";

  const auto reports = dms::ModuleLoader().scan(dir.path());
  ASSERT_TRUE(reports.ok()) << reports.error().describe();
  ASSERT_EQ(reports->size(), 5u);
  std::map<std::string, dms::LoadReport> byName;
  for (const auto& report : *reports) byName[report.file.filename().string()] = report;
  EXPECT_EQ(byName["dms-plugin-v99.so"].outcome, dms::LoadOutcome::IncompatibleVersion);
  EXPECT_EQ(byName["dms-plugin-plain.so"].outcome, dms::LoadOutcome::NotAModule);
  EXPECT_EQ(byName["dms-plugin-testplugin.so"].outcome, dms::LoadOutcome::Loaded);
  EXPECT_EQ(byName["dms-plugin-mem.so"].outcome, dms::LoadOutcome::WrongKind);
  EXPECT_EQ(byName["oddname.so"].outcome, dms::LoadOutcome::Loaded);
  EXPECT_NE(byName["oddname.so"].message.find("should be 'dms-connector-memory.so'"),
            std::string::npos)
      << byName["oddname.so"].message;
  EXPECT_TRUE(std::is_sorted(reports->begin(), reports->end(),
                             [](const auto& a, const auto& b) { return a.file < b.file; }));
  EXPECT_TRUE(marker.empty());

  EXPECT_EQ(dms::ModuleLoader().scan(dir.path() / "missing").error().code,
            dms::ErrorCode::NotFound);
}

TEST(ModuleLoader, ObjectsKeepTheirLibraryLoadedUntilTheyAreGone) {
  // A private copy, so that no other test's handle keeps it mapped.
  dms::test::TempDir dir;
  const auto pluginFile = dir.path() / "dms-plugin-testplugin.so";
  const auto connectorFile = dir.path() / "dms-connector-memory.so";
  std::filesystem::copy_file(kGood / "dms-plugin-testplugin.so", pluginFile);
  std::filesystem::copy_file(kGood / "dms-connector-memory.so", connectorFile);
  CollectingLogger logger;

  std::shared_ptr<dms::DocumentTarget> target;
  dms::ModulePtr<dms::Plugin> plugin;
  std::shared_ptr<const dms::PluginFactory> factory;
  {
    dms::ModuleLoader loader;
    const auto connectorModule = loader.loadConnector(connectorFile);
    ASSERT_TRUE(connectorModule.ok()) << connectorModule.report().message;
    auto made = connectorModule.create(
        {jsonObject({{"connector", "memory"}, {"label", "x"}}), dir.str(), &logger});
    ASSERT_TRUE(made.ok()) << made.error().describe();
    target = std::move(made.value());

    const auto pluginModule = loader.loadPlugin(pluginFile);
    ASSERT_TRUE(pluginModule.ok()) << pluginModule.report().message;
    factory = pluginModule.factory();
    dms::HostServices services{&logger, dir.str(), jsonObject({{"token", "t"}, {"greeting", "hi"}}),
                               target,  "test",    ""};
    auto madePlugin = pluginModule.create(services);
    ASSERT_TRUE(madePlugin.ok()) << madePlugin.error().describe();
    plugin = std::move(madePlugin.value());
  }  // loader and module handles are gone

  ASSERT_TRUE(isLoaded(pluginFile));
  ASSERT_TRUE(isLoaded(connectorFile));
  EXPECT_EQ(factory->info().name, "testplugin");
  factory.reset();
  ASSERT_TRUE(isLoaded(pluginFile)) << "the plugin object alone must keep its library";
  std::ostringstream out, err;
  EXPECT_EQ(plugin->runCommand("greet", {"loader"}, {&out, &err, false}), 0);
  EXPECT_EQ(out.str(), "hi, loader\n");
  EXPECT_EQ(plugin->runCommand("put-file", {"a.txt", "abc"}, {&out, &err, false}), 0) << err.str();
  plugin.reset();
  EXPECT_FALSE(isLoaded(pluginFile)) << "the last object gone, the library is unloaded";

  ASSERT_TRUE(isLoaded(connectorFile)) << "the target (held by us) keeps the connector loaded";
  EXPECT_EQ(target->stat("a.txt")->size, 3u);
  target.reset();
  EXPECT_FALSE(isLoaded(connectorFile));
}

}  // namespace
