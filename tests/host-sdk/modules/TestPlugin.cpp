// A small but real plugin used to test the loader and dms-host: it has a configuration schema
// (with a secret, defaults, nested keys, list/map/object options), two HTTP routes and a few
// commands that use the target and the data folder. Not part of the product.
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

#include "dms/ModuleInfo.h"
#include "dms/Plugin.h"

namespace {

class TestPlugin final : public dms::Plugin {
 public:
  TestPlugin(dms::HostServices services, std::string greeting, std::string token)
      : services_(std::move(services)), greeting_(std::move(greeting)), token_(std::move(token)) {}

  dms::PluginInfo info() const override {
    return {"testplugin", "1.2.3", "test plugin of the host-sdk tests", "testplugin"};
  }

  dms::Status startService() override {
    // Deliberately leaks its secret into the log: the host must mask it.
    services_.logger->info("testplugin", "service started; token is " + token_);
    return {};
  }

  void stop() noexcept override {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;  // ends a `verify` in flight, as a real plugin's stop() cancels its waits
    }
    stopCalled_.notify_all();
    services_.logger->info("testplugin", "service stopped");
    // Lets tests see that the host called stop() before exiting.
    std::ofstream(services_.dataDir + "/stopped") << "stopped\n";
  }

  std::vector<dms::Route> routes() override {
    dms::Route echo{"POST", "/test/echo", 32,
                    [](const dms::HttpRequest& request) {
                      return dms::HttpResponse{200, "text/plain", request.body};
                    },
                    ""};
    dms::Route inspect{"GET", "/test/inspect", 1024,
                       [](const dms::HttpRequest& request) {
                         Poco::JSON::Object answer;
                         answer.set("path", request.path);
                         answer.set("query", request.query);
                         auto header = request.headers.find("x-test");
                         answer.set("xTest", header == request.headers.end() ? "" : header->second);
                         std::ostringstream out;
                         answer.stringify(out);
                         return dms::HttpResponse{200, "application/json", out.str()};
                       },
                       ""};
    return {echo, inspect};
  }

  std::vector<dms::CommandSpec> commands() const override {
    return {{"greet", "greet [NAME]", "prints the configured greeting"},
            {"put-file", "put-file PATH TEXT", "files TEXT at PATH in the document target"},
            {"describe", "describe", "prints the target description and the data folder"},
            {"fail", "fail", "fails with exit code 1"},
            {"verify", "verify [...]",
             "waits until stop() (at most 20 s); writes verify-started and verify-ended (how it "
             "ended) in the data folder"}};
  }

  int runCommand(const std::string& name, const std::vector<std::string>& args,
                 const dms::CommandIO& io) noexcept override {
    if (name == "greet") {
      ++greetings_;
      *io.out << greeting_ << ", " << (args.empty() ? std::string("world") : args[0]) << "\n";
      return 0;
    }
    if (name == "put-file") {
      if (args.size() != 2) {
        *io.err << "usage: put-file PATH TEXT\n";
        return 2;
      }
      std::istringstream content(args[1]);
      auto stored = services_.target->put(args[0], content, {{"test.kind", "greeting"}},
                                          dms::PutMode::CreateNew);
      if (!stored) {
        *io.err << stored.error().describe() << "\n";
        return 1;
      }
      *io.out << "stored " << stored->path << " (" << stored->size << " bytes)\n";
      return 0;
    }
    if (name == "describe") {
      *io.out << "target: " << services_.target->describe() << "\n";
      *io.out << "dataDir: " << services_.dataDir << "\n";
      *io.out << "host: " << services_.hostName << "\n";
      return 0;
    }
    if (name == "fail") {
      *io.err << "failing as asked\n";
      return 1;
    }
    if (name == "verify") return verify(io);
    *io.err << "testplugin: unknown command '" << name << "'\n";
    return 2;
  }

  // Built into the "...old" module too (it is compiled with this SDK's headers): the loader's
  // shield must never call it there, as a real 1.0 plugin has no such method.
  std::string metricsText() noexcept override {
    return "# HELP testplugin_greetings_total Greetings printed by the greet command\n"
           "# TYPE testplugin_greetings_total counter\n"
           "testplugin_greetings_total " +
           std::to_string(greetings_.load()) + "\n";
  }

 private:
  /// A command that runs until the plugin is stopped: what a host does with a command in
  /// flight when it stops (the admin console's `POST verify` at SIGTERM).
  int verify(const dms::CommandIO& io) {
    std::ofstream(services_.dataDir + "/verify-started") << "started\n";
    std::unique_lock lock(mutex_);
    const bool cancelled =
        stopCalled_.wait_for(lock, std::chrono::seconds(20), [&] { return stopped_; });
    std::ofstream(services_.dataDir + "/verify-ended")
        << (cancelled ? "cancelled by stop()" : "finished, stop() never came") << "\n";
    *io.out << (cancelled ? R"({"error": "verify: cancelled"})" : R"({"ok": 0})") << "\n";
    return cancelled ? 1 : 0;
  }

  dms::HostServices services_;
  std::mutex mutex_;
  std::condition_variable stopCalled_;
  bool stopped_ = false;
  std::string greeting_;
  std::string token_;
  std::atomic<int> greetings_{0};
};

class TestPluginFactory final : public dms::PluginFactory {
 public:
  dms::PluginInfo info() const override {
    return {"testplugin", "1.2.3", "test plugin of the host-sdk tests", "testplugin"};
  }

  dms::ConfigSchema configSchema() const override {
    using dms::OptionType;
    return {{
        {"greeting", OptionType::String, "\"hello\"", false, false, "what greet prints"},
        {"token", OptionType::String, "", true, true, "a secret"},
        {"limits.maxItems", OptionType::Integer, "3", false, false, "a nested integer"},
        {"limits.ratio", OptionType::Number, "0.5", false, false, "a nested number"},
        {"enabled", OptionType::Boolean, "true", false, false, "a boolean"},
        {"tags", OptionType::StringList, "[]", false, false, "a list of strings"},
        {"labels", OptionType::StringMap, "{}", false, false, "a map of strings"},
        {"extra", OptionType::Object, "", false, false, "free-form"},
    }};
  }

  dms::Result<std::unique_ptr<dms::Plugin>> create(
      const dms::HostServices& services) const override {
    try {
      Poco::JSON::Parser parser;
      auto config = parser.parse(services.configJson).extract<Poco::JSON::Object::Ptr>();
      const std::string greeting = config->optValue<std::string>("greeting", "hello");
      const std::string token = config->optValue<std::string>("token", "");
      if (greeting == "refuse")
        return dms::fail(dms::ErrorCode::InvalidArgument,
                         "testplugin.greeting: 'refuse' is refused by the plugin");
      return std::unique_ptr<dms::Plugin>(std::make_unique<TestPlugin>(services, greeting, token));
    } catch (const Poco::Exception& e) {
      return dms::fail(dms::ErrorCode::InvalidArgument,
                       "testplugin: bad configuration: " + e.displayText());
    }
  }
};

}  // namespace

#if defined(DMS_TEST_OLDER_MINOR)  // "testpluginold": built for the previous interface minor
#include "OlderMinor.h"
DMS_MODULE_DESCRIPTOR_("plugin", "testpluginold", "1.2.3", kOlderMinorForTest.encoded())
DMS_MODULE_FACTORY_(dms::PluginFactory, dms_plugin_factory, TestPluginFactory)
#else
DMS_DECLARE_PLUGIN("testplugin", "1.2.3", TestPluginFactory)
#endif
