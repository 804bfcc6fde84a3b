// The admin console in a real headless Chromium (Debian's chromium + chromium-driver, driven
// over WebDriver by support/WebDriverSession), against a real `dms-host run` with the Ambita
// plugin, the filesystem connector and the sandbox. One browser session for the whole
// scenario: log in, track a sandbox order and sync it, watch it appear in the list without a
// reload, open its detail, retry the file whose download failed and see it filed, preview the
// mapping, see the loaded modules and a secret masked in the configuration, have an action
// without the CSRF token refused, log out. Screenshots go to
// <build>/screenshots/admin-console/ for people to look at.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <regex>

#include "../HostProcess.h"
#include "admin/PasswordHash.h"
#include "support/Loopback.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"
#include "support/WebDriverSession.h"

namespace {

namespace fs = std::filesystem;
using dms::test::HostProcess;
using dms::test::SandboxProcess;
using dms::test::WebDriverSession;

const std::string kUser = "alice";
const std::string kPassword = "console password 1";
const fs::path kScreenshots = fs::path(DMS_BUILD_DIR) / "screenshots" / "admin-console";

class AdminConsoleBrowser : public testing::Test {
 protected:
  /// Starts `dms-host run` with the console on `adminPort`.
  void startHost(int adminPort) {
    fs::create_directories(dir_.path() / "archive");
    std::ofstream(dir_.path() / "host.json")
        << R"({"dataDir": "data", "modules": ")" << DMS_MODULE_DIR
        << R"(", "target": {"connector": "filesystem", "root": "archive"},
  "ambita": {"baseUrl": ")"
        << sandbox_.baseUrl() << R"(", "clientId": ")" << SandboxProcess::kClientId
        << R"(", "clientSecret": "${DMS_TEST_CLIENT_SECRET}", "username": ")"
        << SandboxProcess::kUsername << R"(", "password": "${DMS_TEST_PASSWORD}",
             "push": {"secret": "browser-test-push-secret"}},
  "http": {"listen": "127.0.0.1:0"},
  "admin": {"listen": "127.0.0.1:)"
        << adminPort << R"(", "users": {")" << kUser << R"(": ")"
        << dms::host::admin::PasswordHash::make(kPassword, 1000) << R"("}}})";
    host_ = std::make_unique<HostProcess>(
        std::vector<std::string>{"--config", "host.json", "run"}, dir_.path(),
        HostProcess::Env{{"DMS_TEST_PASSWORD", SandboxProcess::kPassword},
                         {"DMS_TEST_CLIENT_SECRET", SandboxProcess::kClientSecret}});
    ASSERT_NE(host_->port(), 0U) << host_->firstLine();
  }

  void TearDown() override {
    if (!host_) return;
    const auto stopped = host_->stop(SIGTERM, 60);
    EXPECT_EQ(stopped.exitCode, 0) << stopped.err;
    EXPECT_EQ(stopped.err.find(kPassword), std::string::npos);
    EXPECT_NE(stopped.err.find("alice logged in from 127.0.0.1"), std::string::npos) << stopped.err;
    EXPECT_NE(stopped.err.find("alice /admin/api/sync refused: CSRF token missing or wrong"),
              std::string::npos)
        << stopped.err;
  }

  /// The text of the table `id`'s body (all rows).
  std::string tableText(WebDriverSession& browser, const std::string& id) {
    return browser.execute("return document.querySelector('#" + id + " tbody').innerText;")
        .toString();
  }

  dms::test::TempDir dir_{"dms-admin-browser"};
  SandboxProcess sandbox_;
  std::unique_ptr<HostProcess> host_;
  std::string tracked_;  ///< the order the scenario tracks
};

TEST_F(AdminConsoleBrowser, AnAdministratorWatchesAnOrderRetriesPreviewsAndChecksTheSetup) {
  const std::int64_t order = sandbox_.createDemoOrder("oppdrag-browser");
  sandbox_.step(order, 0);                          // every file delivered, the order finished
  sandbox_.addFault("download", "status", 1, 404);  // one file fails until retried
  const int adminPort = dms::test::freeLoopbackPort();
  startHost(adminPort);
  const std::string id = std::to_string(order);
  tracked_ = id;

  WebDriverSession browser(412, 915);  // a phone's viewport: the page must work there too
  browser.navigate("http://127.0.0.1:" + std::to_string(adminPort) + "/admin/");
  browser.type(browser.waitFor("#login-user"), kUser);
  browser.type(browser.find("#login-password"), kPassword);
  // Before the login only the form is shown.
  EXPECT_FALSE(browser.execute("return !document.getElementById('nav').hidden;").convert<bool>());
  browser.screenshot(kScreenshots / "1-login.png");
  browser.click(browser.find("#login-button"));
  browser.waitFor("#orders-table");
  EXPECT_EQ(browser.text(browser.find("#who")), "(alice)");

  // Track the order and sync it from the Actions view; then it appears in the list by itself.
  browser.click(browser.find("nav button[data-view='actions']"));
  browser.type(browser.waitFor("#track-id"), id);
  browser.type(browser.find("#track-reference"), "oppdrag-browser");
  browser.click(browser.find("#track-form button"));
  ASSERT_TRUE(browser.waitUntil([&] {
    return browser.text(browser.find("#action-result")).find("\"tracked\"") != std::string::npos;
  })) << browser.text(browser.find("#message"));
  browser.type(browser.find("#sync-id"), id);
  browser.click(browser.find("#sync-form button"));
  browser.click(browser.find("nav button[data-view='orders']"));
  ASSERT_TRUE(browser.waitUntil(
      [&] {
        const std::string rows = tableText(browser, "orders-table");
        return rows.find(id) != std::string::npos && rows.find("FINISHED") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << tableText(browser, "orders-table") << browser.text(browser.find("#message"));
  browser.screenshot(kScreenshots / "2-orders.png");

  // The order's detail: the file whose download failed, retried, is filed.
  browser.click(browser.find("#orders-table tbody tr[data-order-id='" + id + "'] button"));
  ASSERT_TRUE(browser.waitUntil([&] {
    return tableText(browser, "assets-table").find("failed") != std::string::npos;
  })) << tableText(browser, "assets-table");
  // Its cost from the plugin's ledger (the sandbox prices every order), in NOK.
  const std::string gross = browser
                                .execute(
                                    "const dt = [...document.querySelectorAll('#order-summary dt')]"
                                    ".find((d) => d.textContent === 'Gross cost');"
                                    "return dt ? dt.nextElementSibling.textContent : '';")
                                .toString();
  EXPECT_TRUE(std::regex_match(gross, std::regex(R"([1-9][0-9]*\.[0-9]{2} NOK)"))) << gross;
  browser.screenshot(kScreenshots / "3-order-with-failure.png");
  browser.click(browser.find("#assets-table tbody button"));
  ASSERT_TRUE(browser.waitUntil(
      [&] { return tableText(browser, "assets-table").find("failed") == std::string::npos; },
      std::chrono::seconds(20)))
      << tableText(browser, "assets-table");
  EXPECT_NE(tableText(browser, "audit-table").find("alice"), std::string::npos)
      << tableText(browser, "audit-table");

  // The mapping preview.
  browser.click(browser.find("#order-preview"));
  ASSERT_TRUE(browser.waitUntil([&] { return !tableText(browser, "preview-table").empty(); }));
  browser.screenshot(kScreenshots / "4-order-detail.png");

  // No failures left; verifying the archive finds it exact.
  browser.click(browser.find("nav button[data-view='failures']"));
  ASSERT_TRUE(browser.waitUntil([&] {
    return browser.text(browser.find("#message")) == "No failures.";
  })) << tableText(browser, "failures-table");
  browser.click(browser.find("nav button[data-view='actions']"));
  browser.click(browser.waitFor("#verify-form button"));
  ASSERT_TRUE(browser.waitUntil([&] {
    return browser.text(browser.find("#action-result")).find("\"clean\": true") !=
           std::string::npos;
  })) << browser.text(browser.find("#action-result"))
      << browser.text(browser.find("#message"));

  // The loaded modules, with their interface version.
  browser.click(browser.find("nav button[data-view='modules']"));
  ASSERT_TRUE(browser.waitUntil([&] {
    return tableText(browser, "modules-table").find("ambita") != std::string::npos;
  })) << tableText(browser, "modules-table");
  EXPECT_NE(tableText(browser, "modules-table").find("filesystem"), std::string::npos);
  browser.screenshot(kScreenshots / "5-modules.png");

  // The configuration: secrets masked.
  browser.click(browser.find("nav button[data-view='config']"));
  ASSERT_TRUE(browser.waitUntil([&] {
    return browser.text(browser.find("#config-text")).find("clientSecret") != std::string::npos;
  }));
  const std::string config = browser.text(browser.find("#config-text"));
  EXPECT_NE(config.find("\"clientSecret\": \"********\""), std::string::npos) << config;
  EXPECT_EQ(config.find(SandboxProcess::kClientSecret), std::string::npos) << config;
  EXPECT_EQ(config.find(SandboxProcess::kPassword), std::string::npos) << config;
  browser.screenshot(kScreenshots / "6-configuration.png");

  // An action without the CSRF token, from the logged-in page (the cookie goes along): refused.
  const std::string post =
      "const x = new XMLHttpRequest(); x.open('POST', '/admin/api/sync', false);"
      "x.setRequestHeader('Content-Type', 'application/json');";
  EXPECT_EQ(browser.execute(post + "x.send('{\"orderId\": 1}'); return x.status;").convert<int>(),
            403);

  // Logging out ends the session: the API refuses the page's cookie afterwards.
  browser.click(browser.find("#logout"));
  browser.waitFor("#login-form");
  const std::string get =
      "const x = new XMLHttpRequest(); x.open('GET', '/admin/api/config', false); x.send();"
      "return x.status;";
  EXPECT_EQ(browser.execute(get).convert<int>(), 401);
  browser.screenshot(kScreenshots / "7-logged-out.png");
}

}  // namespace
