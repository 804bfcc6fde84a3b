#pragma once
// The plugin object as a host uses it (commands, routes, start/stop), with the fake Ambita API in
// place of Ambita and the engine fixture's real filesystem target; shared by the plugin, push and
// command tests.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "AmbitaPlugin.h"
#include "EngineFixture.h"

namespace ambita::test {

inline constexpr const char* kPushSecret = "pu5h-s3cret-value";

/// The plugin as a host uses it, with the fake API in place of Ambita.
class PluginFixture : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    closeEngine();  // the plugin opens its own engine on the same data folder
    sharedTarget_ =
        std::shared_ptr<dms::DocumentTarget>(fsTarget_.get(), [](dms::DocumentTarget*) {});
  }
  void TearDown() override {
    plugin_.reset();
    EngineFixture::TearDown();
  }

  std::string section(const std::string& extra = "") const {
    return std::string(
               R"({"baseUrl": "http://127.0.0.1:9", "clientId": "id", "clientSecret": "client-s3cret",
                           "username": "u", "password": "p4ssword")") +
           (extra.empty() ? "" : ", " + extra) + "}";
  }

  dms::HostServices services(const std::string& configJson) {
    dms::HostServices s;
    s.logger = &logger_;
    s.dataDir = dataDir_;
    s.configJson = configJson;
    s.target = sharedTarget_;
    s.hostName = "dms-host test";
    return s;
  }

  void makePlugin(const std::string& extra = "") {
    auto p = AmbitaPlugin::createWithOrderApiForTest(services(section(extra)), api_);
    ASSERT_TRUE(p.ok()) << p.error().describe();
    plugin_ = std::move(*p);
  }

  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run run(const std::string& name, const std::vector<std::string>& args, bool terminal = false) {
    std::ostringstream out, err;
    dms::CommandIO io{&out, &err, terminal};
    const int code = plugin_->runCommand(name, args, io);
    return {code, out.str(), err.str()};
  }

  dms::HttpResponse push(const std::string& body, const std::string& query = "") {
    auto routes = plugin_->routes();
    EXPECT_EQ(routes.size(), 1u);
    dms::HttpRequest request;
    request.method = "POST";
    request.path = routes[0].path;
    request.query = query;
    request.body = body;
    request.remoteAddress = "127.0.0.1";
    return routes[0].handler(request);
  }

  std::shared_ptr<dms::DocumentTarget> sharedTarget_;
  std::unique_ptr<AmbitaPlugin> plugin_;
};

}  // namespace ambita::test
