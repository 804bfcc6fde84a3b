#pragma once
/// The dms-host command line:
///
///   dms-host [--config FILE] [--verbose] <command> [args]
///
/// Built-ins: --version, --help, modules, config check, config show, run, admin-password. Any other
/// command goes to the plugin's runCommand(); its return is the exit code. Exit codes: 0 success,
/// 1 failure, 2 bad usage or bad configuration.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "StderrLogger.h"

namespace dms::host {

class Host {
 public:
  /// `defaultModulesDir`: the modules folder when the configuration names none.
  Host(std::ostream& out, std::ostream& err, std::filesystem::path defaultModulesDir);

  /// Runs one command line (without the program name) and returns the exit code. Never throws.
  int main(const std::vector<std::string>& args);

  /// "dms-host 0.1.0"
  static std::string name();

 private:
  int printHelp(bool toErr);
  int listModules();
  int configCheck();
  int configShow();
  int runService();
  int pluginCommand(const std::string& name, const std::vector<std::string>& args);
  /// Prints the issues (errors and warnings); false when there is an error.
  bool reportIssues(const class HostSetup& setup);
  /// Loads the configuration file into `setup` and prints its issues: 0 when it is usable,
  /// else the exit code (2) to end with.
  int loadConfiguration(class HostSetup& setup);
  /// Makes the target and the plugin (logging why not): 0, or the exit code (1) to end with.
  int createObjects(class HostSetup& setup);
  bool needConfig();

  std::ostream& out_;
  std::ostream& err_;
  std::filesystem::path defaultModulesDir_;
  StderrLogger logger_;
  std::filesystem::path configFile_;
  bool verbose_ = false;

  // Admin console
  /// `admin-password`: reads a password from stdin and prints its hash for admin.users.
  int adminPassword(const std::vector<std::string>& args);
};

}  // namespace dms::host
