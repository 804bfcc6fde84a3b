// Issue 9's packaging check: `cpack -G DEB` from this build folder makes ambita-dms and
// ambita-dms-dev; their contents and control data are what packaging/ promises; ambita-dms,
// unpacked into a scratch root with `dpkg -x` (a real `dpkg -i` would add a user and files to the
// machine the tests run on), runs from there against the sandbox; the systemd unit passes
// `systemd-analyze verify`. The packages are made once for the whole suite.
#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/ChildProcess.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace {

namespace fs = std::filesystem;
using dms::test::ChildProcess;
using dms::test::ChildResult;
using dms::test::SandboxProcess;
using dms::test::TempDir;
using namespace std::chrono_literals;

const std::string kServicePackage = "ambita-dms";
const std::string kDevPackage = "ambita-dms-dev";
const std::string kUnit = "lib/systemd/system/ambita-dms.service";
const std::string kConfig = "etc/ambita-dms/config.json";
const std::string kEnvironmentFile = "etc/ambita-dms/env";

std::string commandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) line += (line.empty() ? "" : " ") + arg;
  return line;
}

std::string describe(const std::vector<std::string>& argv, const ChildResult& result) {
  return commandLine(argv) + "\nexit " + std::to_string(result.exitCode) + "\nstdout:\n" +
         result.out + "\nstderr:\n" + result.err;
}

/// Runs a tool to completion; the test fails (naming the command and its output) unless it
/// exits 0.
ChildResult runTool(const std::vector<std::string>& argv, const ChildProcess::Env& env = {},
                    std::chrono::milliseconds timeout = 120s) {
  ChildResult result = ChildProcess::run(argv, env, {}, timeout);
  EXPECT_EQ(result.exitCode, 0) << describe(argv, result);
  return result;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// True when a line of `text` matches `pattern` as a whole.
bool hasLine(const std::string& text, const std::string& pattern) {
  const std::regex line(pattern);
  std::istringstream lines(text);
  for (std::string each; std::getline(lines, each);)
    if (std::regex_match(each, line)) return true;
  return false;
}

/// The values of `key=` lines of a unit file (space-separated values split).
std::vector<std::string> unitValues(const std::string& unit, const std::string& key) {
  std::vector<std::string> values;
  std::istringstream lines(unit);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::istringstream words(line.substr(key.size() + 1));
    for (std::string word; words >> word;) values.push_back(word);
  }
  return values;
}

/// Regular files a person would see in the archive (not the connector's .dms-* bookkeeping).
std::size_t userFiles(const fs::path& archive) {
  std::size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(archive))
    if (entry.is_regular_file() && entry.path().filename().string().rfind(".dms-", 0) != 0) ++count;
  return count;
}

class DebianPackages : public testing::Test {
 protected:
  /// Makes both packages and unpacks ambita-dms into root(); a failure is reported by SetUp().
  static void SetUpTestSuite() {
    work_ = std::make_unique<TempDir>("dms-packaging");
    const std::vector<std::string> cpack = {
        DMS_CPACK_COMMAND, "-G", "DEB", "--config", DMS_CPACK_CONFIG, "-B", packages().string()};
    const ChildResult made = ChildProcess::run(cpack, {}, work_->path(), 540s);
    if (made.exitCode != 0) {
      setupError_ = describe(cpack, made);
      return;
    }
    const std::vector<std::string> unpack = {"dpkg-deb", "-x", deb(kServicePackage).string(),
                                             root().string()};
    const ChildResult unpacked = ChildProcess::run(unpack, {}, {}, 120s);
    if (unpacked.exitCode != 0) setupError_ = describe(unpack, unpacked);
  }

  static void TearDownTestSuite() { work_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(setupError_.empty()) << setupError_;
    ASSERT_TRUE(fs::exists(deb(kServicePackage))) << deb(kServicePackage);
    ASSERT_TRUE(fs::exists(deb(kDevPackage))) << deb(kDevPackage);
  }

  static fs::path packages() { return work_->path() / "packages"; }
  static fs::path root() { return work_->path() / "root"; }
  /// Debian's file name: NAME_VERSION_ARCH.deb.
  static fs::path deb(const std::string& name) {
    const std::regex pattern(name + "_" + DMS_PROJECT_VERSION + "_[a-z0-9]+\\.deb");
    if (fs::is_directory(packages()))
      for (const auto& entry : fs::directory_iterator(packages()))
        if (std::regex_match(entry.path().filename().string(), pattern)) return entry.path();
    return packages() / (name + "_" + DMS_PROJECT_VERSION + "_ARCH.deb");
  }
  static std::string listing(const std::string& name) {
    return runTool({"dpkg-deb", "-c", deb(name).string()}).out;
  }
  static std::string field(const std::string& name, const std::string& fieldName) {
    return runTool({"dpkg-deb", "-f", deb(name).string(), fieldName}).out;
  }
  /// The installed dms-host, run through its /usr/bin link as a user would.
  static std::string installedHost() { return (root() / "usr/bin/dms-host").string(); }

  /// The shipped /etc/ambita-dms/config.json with its machine paths moved into `dir` and the
  /// listener on a free port: everything else (target, ${ENV} secrets) as installed.
  static fs::path configUnder(const fs::path& dir) {
    Poco::JSON::Parser parser;
    auto config = parser.parse(readFile(root() / kConfig)).extract<Poco::JSON::Object::Ptr>();
    config->set("dataDir", (dir / "data").string());
    config->getObject("target")->set("root", (dir / "archive").string());
    config->getObject("http")->set("listen", "127.0.0.1:0");
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(config, text, 2);
    const fs::path file = dir / "config.json";
    writeFile(file, text.str());
    return file;
  }

  /// The variables /etc/ambita-dms/env would set, for `sandbox`.
  static ChildProcess::Env sandboxEnvironment(const SandboxProcess& sandbox) {
    return {{"AMBITA_BASE_URL", sandbox.baseUrl()},
            {"AMBITA_CLIENT_ID", SandboxProcess::kClientId},
            {"AMBITA_CLIENT_SECRET", SandboxProcess::kClientSecret},
            {"AMBITA_USERNAME", SandboxProcess::kUsername},
            {"AMBITA_PASSWORD", SandboxProcess::kPassword},
            {"AMBITA_PUSH_SECRET", "packaging-test-push-secret"}};
  }

  static inline std::unique_ptr<TempDir> work_;
  static inline std::string setupError_;
};

TEST_F(DebianPackages, ServicePackageHoldsHostModulesUnitAndConfiguration) {
  const std::string files = listing(kServicePackage);
  const std::string time = R"( +[0-9]+ [0-9-]+ [0-9:]+ )";
  EXPECT_TRUE(
      hasLine(files, "-rwxr-xr-x root/root" + time + R"(\./usr/lib/ambita-dms/bin/dms-host)"))
      << files;
  EXPECT_TRUE(hasLine(files, "l[rwx-]+ root/root" + time +
                                 R"(\./usr/bin/dms-host -> \.\./lib/ambita-dms/bin/dms-host)"))
      << files;
  for (const std::string module :
       {"dms-plugin-ambita", "dms-connector-filesystem", "dms-connector-webdav"})
    EXPECT_TRUE(hasLine(files, "-rw[x-]r-[x-]r-[x-] root/root" + time +
                                   R"(\./usr/lib/ambita-dms/modules/)" + module + R"(\.so)"))
        << module << "\n"
        << files;
  // The PostgreSQL state library, beside the plugin in the folder it looks in (issue 15).
  EXPECT_TRUE(hasLine(files, "-rw[x-]r-[x-]r-[x-] root/root" + time +
                                 R"(\./usr/lib/ambita-dms/modules/dms-plugin-ambita\.d/)"
                                 R"(state-postgresql\.so)"))
      << files;
  EXPECT_TRUE(hasLine(
      files, "-rw-r--r-- root/root" + time + R"(\./lib/systemd/system/ambita-dms\.service)"))
      << files;
  EXPECT_TRUE(hasLine(files, "-rw-r--r-- root/root" + time + R"(\./etc/ambita-dms/config\.json)"))
      << files;
  // The secrets file is root's alone.
  EXPECT_TRUE(hasLine(files, "-rw------- root/root" + time + R"(\./etc/ambita-dms/env)")) << files;
  EXPECT_TRUE(hasLine(files, "d[rwx-]+ root/root" + time + R"(\./var/lib/ambita-dms/)")) << files;
  // Nothing of the tests, the sandbox or the SDK.
  EXPECT_EQ(files.find("sandbox"), std::string::npos) << files;
  EXPECT_EQ(files.find("include/"), std::string::npos) << files;
  EXPECT_EQ(files.find("test"), std::string::npos) << files;
}

TEST_F(DebianPackages, ServicePackageDeclaresDependenciesConffilesAndScripts) {
  EXPECT_EQ(field(kServicePackage, "Package"), kServicePackage + "\n");
  // From dpkg-shlibdeps (the modules and dms-host link Poco and libstdc++), plus adduser.
  const std::string depends = field(kServicePackage, "Depends");
  for (const std::string needed : {"libpoco", "libstdc++6", "libc6", "adduser"})
    EXPECT_NE(depends.find(needed), std::string::npos) << needed << " in " << depends;

  const fs::path control = work_->path() / "control";
  runTool({"dpkg-deb", "-e", deb(kServicePackage).string(), control.string()});
  const std::string conffiles = readFile(control / "conffiles");
  EXPECT_TRUE(hasLine(conffiles, "/" + kConfig)) << conffiles;
  EXPECT_TRUE(hasLine(conffiles, "/" + kEnvironmentFile)) << conffiles;
  EXPECT_NE(readFile(control / "postinst").find("adduser --system"), std::string::npos);
  for (const std::string script : {"postinst", "prerm", "postrm"}) {
    const fs::path path = control / script;
    ASSERT_TRUE(fs::exists(path)) << script;
    EXPECT_NE(fs::status(path).permissions() & fs::perms::owner_exec, fs::perms::none) << script;
    runTool({"sh", "-n", path.string()});
  }
}

// The maintainer scripts run for real, but with the system commands they call (getent,
// adduser, chown, chmod, install, systemctl) replaced by stubs that record their arguments:
// a real install would add a user to the machine the tests run on.
class StubbedMaintainerScripts {
 public:
  /// The control files of `deb` (dpkg-deb -e) and the stubs.
  explicit StubbedMaintainerScripts(const fs::path& deb) {
    runTool({"dpkg-deb", "-e", deb.string(), (dir_.path() / "control").string()});
    fs::create_directories(stubs_);
    for (const std::string command : {"adduser", "chown", "chmod", "install", "systemctl"})
      stub(command, "");
    // getent passwd ambita-dms: found only when the test says the user exists.
    stub("getent",
         "[ -n \"$STUB_USER_EXISTS\" ] || exit 2\n"
         "echo 'ambita-dms:x:999:999::/var/lib/ambita-dms:/usr/sbin/nologin'\n");
  }

  /// Runs `script argument` and returns the stubbed calls, one "command args" line each.
  std::string run(const std::string& script, const std::string& argument, bool userExists) {
    ChildProcess::Env env{{"PATH", stubs_.string() + ":/usr/bin:/bin"},
                          {"STUB_LOG", log_.string()}};
    if (userExists) env["STUB_USER_EXISTS"] = "1";
    fs::remove(log_);
    runTool({"sh", (dir_.path() / "control" / script).string(), argument}, env);
    return readFile(log_);
  }

 private:
  void stub(const std::string& command, const std::string& body) {
    const fs::path file = stubs_ / command;
    writeFile(file, "#!/bin/sh\necho \"" + command + " $*\" >>\"$STUB_LOG\"\n" + body);
    fs::permissions(file, fs::perms::owner_all);
  }

  TempDir dir_{"dms-maintainer-scripts"};
  fs::path stubs_ = dir_.path() / "stubs";
  fs::path log_ = dir_.path() / "calls.log";
};

TEST_F(DebianPackages, PostinstCreatesTheSystemUserOnceAndGivesItTheDataFolder) {
  StubbedMaintainerScripts scripts(deb(kServicePackage));
  const std::string adduser =
      "adduser --system --group --quiet --home /var/lib/ambita-dms --no-create-home ambita-dms";
  const std::string first = scripts.run("postinst", "configure", false);
  EXPECT_TRUE(hasLine(first, adduser)) << first;
  EXPECT_TRUE(hasLine(first, "chown ambita-dms:ambita-dms /var/lib/ambita-dms")) << first;
  EXPECT_TRUE(hasLine(first, "chmod 0750 /var/lib/ambita-dms")) << first;
  if (!fs::exists("/srv/ambita-dms")) {
    EXPECT_TRUE(hasLine(first, "install -d -o ambita-dms -g ambita-dms -m 0750 /srv/ambita-dms"))
        << first;
  }

  const std::string again = scripts.run("postinst", "configure", true);
  EXPECT_FALSE(hasLine(again, "adduser .*")) << again;
  EXPECT_TRUE(hasLine(again, "chown ambita-dms:ambita-dms /var/lib/ambita-dms")) << again;
  EXPECT_EQ(scripts.run("postinst", "abort-upgrade", true), "");
}

TEST_F(DebianPackages, PrermDisablesTheServiceOnRemovalOnly) {
  StubbedMaintainerScripts scripts(deb(kServicePackage));
  EXPECT_TRUE(
      hasLine(scripts.run("prerm", "remove", true), "systemctl disable ambita-dms.service"));
  EXPECT_EQ(scripts.run("prerm", "upgrade", true), "");
}

TEST_F(DebianPackages, DevPackageHoldsTheHostSdkAndItsCMakePackage) {
  EXPECT_EQ(field(kDevPackage, "Package"), kDevPackage + "\n");
  const std::string files = listing(kDevPackage);
  for (const auto& header :
       fs::directory_iterator(fs::path(DMS_SOURCE_DIR) / "host-sdk/include/dms")) {
    // A configured header ("Version.h.in") is installed as what it generates ("Version.h").
    fs::path installed = header.path().filename();
    if (installed.extension() == ".in") installed = installed.stem();
    EXPECT_TRUE(hasLine(files, R"(.* \./usr/include/dms/)" + installed.string()))
        << header.path() << "\n"
        << files;
  }
  for (const std::string file : {"DmsHostSdkConfig.cmake", "DmsHostSdkConfigVersion.cmake",
                                 "DmsHostSdkTargets.cmake", "DmsModule.map"})
    EXPECT_TRUE(hasLine(files, R"(.* \./usr/lib/.*cmake/DmsHostSdk/)" + file)) << file << "\n"
                                                                               << files;
  EXPECT_TRUE(hasLine(files, R"(.* \./usr/lib/.*libdms-host-sdk-loader\.a)")) << files;
  EXPECT_EQ(files.find("dms-host\n"), std::string::npos) << files;
}

TEST_F(DebianPackages, ExampleEnvironmentFileNamesEveryVariableOfTheConfiguration) {
  const std::string config = readFile(root() / kConfig);
  const std::string environment = readFile(root() / kEnvironmentFile);
  const std::regex reference(R"(\$\{([A-Za-z_][A-Za-z0-9_]*))");
  std::set<std::string> names;
  for (std::sregex_iterator it(config.begin(), config.end(), reference), end; it != end; ++it)
    names.insert((*it)[1]);
  EXPECT_GE(names.size(), 5U) << config;
  for (const auto& name : names)
    EXPECT_TRUE(hasLine(environment, "#?" + name + "=.*")) << name << " in\n" << environment;
}

TEST_F(DebianPackages, UnitRunsTheInstalledHostHardenedWithTheConfiguredFoldersWritable) {
  const std::string unit = readFile(root() / kUnit);
  const auto exec = unitValues(unit, "ExecStart");
  ASSERT_EQ(exec.size(), 4U) << unit;
  EXPECT_EQ(exec[0], "/usr/bin/dms-host");
  EXPECT_TRUE(fs::exists(root() / exec[0].substr(1)));
  EXPECT_EQ(exec[2], "/" + kConfig);
  EXPECT_EQ(exec[3], "run");
  EXPECT_EQ(unitValues(unit, "EnvironmentFile"), std::vector<std::string>{"/" + kEnvironmentFile});
  EXPECT_EQ(unitValues(unit, "User"), std::vector<std::string>{"ambita-dms"});
  for (const std::string hardening :
       {"NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes"})
    EXPECT_TRUE(hasLine(unit, hardening)) << hardening;

  Poco::JSON::Parser parser;
  auto config = parser.parse(readFile(root() / kConfig)).extract<Poco::JSON::Object::Ptr>();
  const auto writable = unitValues(unit, "ReadWritePaths");
  for (const std::string& folder : {config->getValue<std::string>("dataDir"),
                                    config->getObject("target")->getValue<std::string>("root")})
    EXPECT_NE(std::find(writable.begin(), writable.end(), folder), writable.end())
        << folder << " is not in ReadWritePaths";
}

// systemd-analyze verify checks the unit's syntax, every option's value, its dependencies and
// that ExecStart's binary exists. There is no systemd running in a container, and verify needs
// none, but it does need the units ours depends on (sysinit.target, ...): --root is the scratch
// root, so the installed /usr/bin/dms-host is the one checked, with this machine's own units
// (from the systemd package) copied beside ours. verify exits 0 after unknown keys or bad
// values, only logging them: its error output must be empty too.
TEST_F(DebianPackages, UnitPassesSystemdAnalyzeVerify) {
  const fs::path systemUnits = "/lib/systemd/system";
  ASSERT_TRUE(fs::exists(systemUnits / "sysinit.target")) << "systemd is not installed";
  fs::copy(systemUnits, root() / "lib/systemd/system",
           fs::copy_options::recursive | fs::copy_options::skip_existing |
               fs::copy_options::copy_symlinks);
  const std::vector<std::string> verify = {"systemd-analyze", "verify", "--root=" + root().string(),
                                           "/" + kUnit};
  const ChildResult result = ChildProcess::run(verify, {{"SYSTEMD_LOG_LEVEL", "notice"}}, {}, 60s);
  EXPECT_EQ(result.exitCode, 0) << describe(verify, result);
  EXPECT_EQ(result.err, "") << describe(verify, result);
}

TEST_F(DebianPackages, InstalledHostFilesASandboxOrderWithTheShippedConfiguration) {
  SandboxProcess sandbox;
  TempDir dir("dms-installed");
  const fs::path config = configUnder(dir.path());
  const ChildProcess::Env env = sandboxEnvironment(sandbox);
  const auto host = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {installedHost(), "--config", config.string()});
    return runTool(args, env);
  };

  // The modules are found where the package put them, without a "modules" key.
  const std::string modules = host({"modules"}).out;
  EXPECT_NE(modules.find("modules in " + (root() / "usr/lib/ambita-dms/modules").string()),
            std::string::npos)
      << modules;
  EXPECT_EQ(modules.find("REFUSED"), std::string::npos) << modules;
  const ChildResult check = host({"config", "check"});
  EXPECT_EQ(check.err.find("warning"), std::string::npos) << check.err;
  EXPECT_NE(check.out.find("configuration OK"), std::string::npos) << check.out;

  const std::string ordered = host({"order", "--kind", "cadastre", "--cadastre", "9999-1-1-0-0",
                                    "--address", "Infoveien 1, 9999 Infoland", "--product",
                                    "WI99990033", "--reference", "oppdrag-1", "--yes"})
                                  .out;
  const auto created = ordered.find("order created: ");
  ASSERT_NE(created, std::string::npos) << ordered;
  const std::int64_t orderId = std::stoll(ordered.substr(created + 15));
  sandbox.step(orderId, 0);  // every file delivered, the order finished

  host({"sync"});
  // The Meglerpakke's script delivers five files (one for the order, four for its lines).
  EXPECT_EQ(userFiles(dir.path() / "archive"), 5U);
  host({"verify"});
}

TEST_F(DebianPackages, InstalledHostRunStopsCleanlyOnSigterm) {
  SandboxProcess sandbox;
  TempDir dir("dms-installed");
  const fs::path config = configUnder(dir.path());
  ChildProcess run({installedHost(), "--config", config.string(), "run"},
                   sandboxEnvironment(sandbox));
  ASSERT_TRUE(run.waitForOutput(
      [](const std::string& out) { return out.find("dms-host listening on") != std::string::npos; },
      30s))
      << run.err();
  const ChildResult stopped = run.stop(SIGTERM, 30s);
  EXPECT_EQ(stopped.signal, 0) << stopped.err;
  EXPECT_EQ(stopped.exitCode, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("received SIGTERM, stopping"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("stopped"), std::string::npos) << stopped.err;
}

}  // namespace
