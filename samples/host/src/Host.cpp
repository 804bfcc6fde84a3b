#include "Host.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Stringifier.h>
#include <pthread.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iomanip>
#include <iostream>

#include "HealthRoutes.h"
#include "HostMetrics.h"
#include "HostSetup.h"
#include "ReadinessProbe.h"
#include "RouteServer.h"
#include "admin/AdminConsole.h"
#include "admin/PasswordHash.h"
#include "dms/ModuleLoader.h"

#ifndef DMS_HOST_VERSION
#define DMS_HOST_VERSION "0.0.0"
#endif

namespace dms::host {

namespace {

constexpr const char* kSource = "host";

const char* const kUsage = "usage: dms-host [--config FILE] [--verbose] <command> [args]\n";

}  // namespace

Host::Host(std::ostream& out, std::ostream& err, std::filesystem::path defaultModulesDir)
    : out_(out), err_(err), defaultModulesDir_(std::move(defaultModulesDir)), logger_(err) {}

std::string Host::name() {
  return std::string("dms-host ") + DMS_HOST_VERSION;
}

int Host::main(const std::vector<std::string>& args) {
  try {
    std::size_t i = 0;
    bool help = false;
    for (; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (arg == "--config" || arg == "-c") {
        if (i + 1 >= args.size()) {
          err_ << "dms-host: --config needs a FILE\n" << kUsage;
          return 2;
        }
        configFile_ = args[++i];
      } else if (arg.starts_with("--config=")) {
        configFile_ = arg.substr(9);
      } else if (arg == "--verbose" || arg == "-v") {
        verbose_ = true;
      } else if (arg == "--version") {
        out_ << name() << " (host-sdk interface " << kInterfaceVersion.toString() << ", "
             << DMS_COMPILER_TAG << ")\n";
        return 0;
      } else if (arg == "--help" || arg == "-h") {
        help = true;
      } else if (arg.starts_with("-")) {
        err_ << "dms-host: unknown option '" << arg << "'\n" << kUsage;
        return 2;
      } else {
        break;
      }
    }
    logger_.setMinimum(verbose_ ? LogLevel::Debug : LogLevel::Info);
    if (help) return printHelp(false);
    if (i >= args.size()) {
      err_ << "dms-host: no command given\n";
      return printHelp(true);
    }

    const std::string command = args[i];
    const std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
    if (command == "help") return printHelp(false);
    if (command == "modules") return listModules();
    if (command == "config") {
      if (rest.size() == 1 && rest[0] == "check") return configCheck();
      if (rest.size() == 1 && rest[0] == "show") return configShow();
      err_ << "usage: dms-host --config FILE config check|show\n";
      return 2;
    }
    if (command == "admin-password") return adminPassword(rest);
    if (command == "run") {
      if (!rest.empty()) {
        err_ << "usage: dms-host --config FILE run\n";
        return 2;
      }
      return runService();
    }
    return pluginCommand(command, rest);
  } catch (const std::exception& e) {
    err_ << "dms-host: internal error: " << logger_.mask(e.what()) << "\n";
    return 1;
  }
}

bool Host::needConfig() {
  if (!configFile_.empty()) return true;
  err_ << "dms-host: this command needs a configuration: --config FILE\n";
  return false;
}

bool Host::reportIssues(const HostSetup& setup) {
  std::size_t errors = 0;
  for (const auto& issue : setup.issues()) {
    err_ << (issue.warning ? "warning: " : "error: ") << logger_.mask(issue.describe()) << "\n";
    if (!issue.warning) ++errors;
  }
  if (errors > 0)
    err_ << "configuration '" << configFile_.string() << "' has " << errors << " error"
         << (errors == 1 ? "" : "s") << "\n";
  return errors == 0;
}

int Host::printHelp(bool toErr) {
  std::ostream& to = toErr ? err_ : out_;
  to << kUsage << "\n"
     << "Options:\n"
     << "  --config FILE   the JSON configuration (secrets as ${ENV_NAME})\n"
     << "  --verbose       log debug messages too (stderr)\n"
     << "  --version       print the version and exit\n"
     << "  --help          print this help (with the plugin's commands when --config is given)\n"
     << "\nBuilt-in commands:\n"
     << "  modules         list every module in the modules folder, with its descriptor or the\n"
     << "                  reason it is refused\n"
     << "  config check    validate the configuration against the modules' schemas (exit 2 on "
        "error)\n"
     << "  config show     print the effective configuration (defaults applied, secrets masked)\n"
     << "  run             serve the plugin's HTTP routes, /healthz, /readyz, /metrics and run its "
        "service until SIGINT/SIGTERM\n"
     << "  admin-password  read a password (one line, stdin) and print its hash for admin.users\n";
  if (configFile_.empty()) {
    to << "\nPlugin commands: give --config FILE to list them.\n";
    return toErr ? 2 : 0;
  }
  HostSetup setup(logger_, defaultModulesDir_, name());
  std::string problem;
  if (auto loaded = setup.load(configFile_); !loaded) {
    problem = loaded.error().message;
  } else if (!setup.valid()) {
    problem = "the configuration has errors (see dms-host config check)";
  } else if (auto created = setup.createObjects(); !created) {
    problem = created.error().message;
  }
  if (!problem.empty()) {
    to << "\nPlugin commands: unavailable: " << logger_.mask(problem) << "\n";
    return toErr ? 2 : 0;
  }
  const auto info = setup.plugin()->info();
  to << "\nCommands of plugin '" << info.name << "' " << info.version << ":\n";
  for (const auto& command : setup.plugin()->commands()) {
    if (command.usage.size() <= 30)
      to << "  " << std::left << std::setw(30) << command.usage << " " << command.summary << "\n";
    else
      to << "  " << command.usage << "\n  " << std::string(31, ' ') << command.summary << "\n";
  }
  return toErr ? 2 : 0;
}

int Host::listModules() {
  HostSetup setup(logger_, defaultModulesDir_, name());
  if (!configFile_.empty()) {
    // Only the modules folder matters here; a configuration with other errors still names it.
    if (auto loaded = setup.load(configFile_); !loaded) {
      err_ << "dms-host: " << loaded.error().message << "\n";
      return 2;
    }
  }
  ModuleLoader loader;
  auto reports = loader.scan(setup.modulesDir());
  if (!reports) {
    err_ << "dms-host: " << reports.error().message << "\n";
    return 2;
  }
  out_ << "modules in " << setup.modulesDir().string() << " (host-sdk interface "
       << loader.interfaceVersion().toString() << ", " << loader.compilerTag() << "):\n";
  if (reports->empty()) out_ << "  (no *.so files)\n";
  bool allLoaded = true;
  for (const auto& report : *reports) {
    out_ << "  " << report.file.filename().string() << "\n";
    if (report.ok()) {
      const auto& d = *report.descriptor;
      out_ << "    " << d.kind << " '" << d.name << "' version " << d.version << ", interface "
           << d.interfaceVersion.toString() << ", " << d.compilerTag << "\n";
      if (auto note = report.message.find("; note: "); note != std::string::npos)
        out_ << "    note: " << report.message.substr(note + 8) << "\n";
    } else {
      allLoaded = false;
      out_ << "    REFUSED (" << toString(report.outcome) << "): " << report.message << "\n";
    }
  }
  return allLoaded ? 0 : 1;
}

int Host::loadConfiguration(HostSetup& setup) {
  if (auto loaded = setup.load(configFile_); !loaded) {
    err_ << "error: " << loaded.error().message << "\n";
    return 2;
  }
  return reportIssues(setup) ? 0 : 2;
}

int Host::createObjects(HostSetup& setup) {
  if (auto created = setup.createObjects(); !created) {
    logger_.error(kSource, created.error().describe());
    return 1;
  }
  return 0;
}

int Host::configCheck() {
  if (!needConfig()) return 2;
  HostSetup setup(logger_, defaultModulesDir_, name());
  if (int code = loadConfiguration(setup); code != 0) return code;
  // The factories validate more than the schema says (value ranges, templates): make them.
  if (auto created = setup.createObjects(); !created) {
    err_ << "error: " << logger_.mask(created.error().message) << "\n";
    return 2;
  }
  for (const auto& route : setup.plugin()->routes())
    if (!route.openWarning.empty())
      err_ << "warning: " << route.method << " " << route.path << ": "
           << logger_.mask(route.openWarning) << "\n";
  out_ << "configuration OK\n";
  return 0;
}

int Host::configShow() {
  if (!needConfig()) return 2;
  HostSetup setup(logger_, defaultModulesDir_, name());
  if (int code = loadConfiguration(setup); code != 0) return code;
  std::ostringstream text;
  Poco::JSON::Stringifier::stringify(setup.adminView(), text, 2);
  // The view masks secret options; masking the text too catches a secret copied elsewhere.
  out_ << logger_.mask(text.str()) << "\n";
  return 0;
}

int Host::runService() {
  if (!needConfig()) return 2;
  // Before any thread exists (modules, Poco's pools): every thread inherits the mask, so the
  // signals wait for sigwait() below instead of killing the process mid-write.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HostSetup setup(logger_, defaultModulesDir_, name());
  if (int code = loadConfiguration(setup); code != 0) return code;
  if (int code = createObjects(setup); code != 0) return code;
  Plugin& plugin = *setup.plugin();
  for (const auto& route : plugin.routes())
    if (!route.openWarning.empty())
      logger_.warning(kSource, route.method + " " + route.path + ": " + route.openWarning);
  // The host's /healthz and /readyz after the plugin's routes: on the same path, they win.
  ReadinessProbe readiness(readinessChecks(plugin, *setup.target()), ReadinessProbe::Timing{});
  std::vector<Route> routes = plugin.routes();
  for (auto& route : healthRoutes(readiness, logger_)) routes.push_back(std::move(route));
  // GET /metrics counts every request, its own included; it knows every path served.
  routes.push_back(Route{"GET", kMetricsPath, 0, nullptr, ""});
  HostMetrics metrics(routes, DMS_HOST_VERSION);
  routes.back() = metricsRoute(metrics, plugin);
  RouteServer server(std::move(routes), logger_, setup.listenerLimits());
  server.countInto(&metrics);
  if (auto bound = server.bind(setup.listenHost(), setup.listenPort()); !bound) {
    logger_.error(kSource, bound.error().describe());
    return bound.error().code == ErrorCode::InvalidArgument ? 2 : 1;
  }
  std::unique_ptr<admin::AdminConsole> console;
  if (setup.adminSettings()) {
    auto opened = admin::AdminConsole::open(setup, logger_, name());
    if (!opened) {
      logger_.error(kSource, opened.error().describe());
      return opened.error().code == ErrorCode::InvalidArgument ? 2 : 1;
    }
    console = std::move(opened.value());
  }
  if (auto started = plugin.startService(); !started) {
    logger_.error(kSource, "the plugin's service did not start: " + started.error().describe());
    plugin.stop();
    return 1;
  }
  readiness.start();
  server.start();
  if (console) console->start();
  logger_.info(kSource, name() + " serving " + std::to_string(plugin.routes().size()) +
                            " route(s) of plugin '" + plugin.info().name + "' into " +
                            setup.target()->describe());
  out_ << "dms-host listening on http://" << setup.listenHost() << ":" << server.port()
       << std::endl;
  if (console)
    out_ << "dms-host admin console on http://" << setup.adminSettings()->listen.host << ":"
         << console->port() << "/admin/" << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  logger_.info(kSource,
               std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
  // A readiness check in flight may wait on the API: /readyz answers "stopping" at once, the
  // plugin's stop() cancels the check's call, then the checking thread ends.
  readiness.requestStop();
  // The console's commands in flight (a verify --repair) are cancelled by the plugin's stop(),
  // not finished first (issue 15, gaps2); no new one starts meanwhile.
  if (console) console->stopAccepting();
  server.stop();
  // An event POST in flight ends now (the event stays in the plugin's outbox for the next run).
  setup.stopEventForwarding();
  plugin.stop();
  if (console) console->stop();
  readiness.stop();
  logger_.info(kSource, "stopped");
  return 0;
}

int Host::pluginCommand(const std::string& name, const std::vector<std::string>& args) {
  if (!needConfig()) return 2;
  HostSetup setup(logger_, defaultModulesDir_, Host::name());
  if (int code = loadConfiguration(setup); code != 0) return code;
  if (int code = createObjects(setup); code != 0) return code;
  Plugin& plugin = *setup.plugin();
  const auto commands = plugin.commands();
  const bool known = std::any_of(commands.begin(), commands.end(),
                                 [&](const CommandSpec& spec) { return spec.name == name; });
  if (!known) {
    err_ << "dms-host: unknown command '" << name << "' (see dms-host --config "
         << configFile_.string() << " --help)\n";
    return 2;
  }
  CommandIO io{&out_, &err_, ::isatty(STDOUT_FILENO) == 1};
  const int code = plugin.runCommand(name, args, io);
  out_.flush();
  return code;
}

// Admin console

int Host::adminPassword(const std::vector<std::string>& args) {
  if (!args.empty()) {
    err_ << "usage: dms-host admin-password < password-file   (prints the hash for admin.users)\n";
    return 2;
  }
  const bool terminal = ::isatty(STDIN_FILENO) == 1;
  if (terminal) err_ << "password (not shown): " << std::flush;
  termios saved{};
  if (terminal && tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (terminal) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    err_ << "\n";
  }
  if (password.size() < admin::PasswordHash::kMinPasswordLength) {
    err_ << "dms-host: admin-password: the password must have "
         << admin::PasswordHash::kMinPasswordLength << " characters or more\n";
    return 2;
  }
  out_ << admin::PasswordHash::make(password) << "\n";
  return 0;
}

}  // namespace dms::host
