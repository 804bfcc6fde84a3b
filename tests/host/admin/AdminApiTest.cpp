// The admin console's JSON API without a network: its routes called directly, with a plugin
// that answers the commands of the admin contract (docs/admin-api.md) and records how it was
// called, and a clock the tests move (sessions and the login window expire without waiting).
#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include "StderrLogger.h"
#include "admin/AdminApi.h"
#include "admin/PasswordHash.h"

namespace dms::host::admin {
namespace {

const std::string kPassword = "correct horse battery";
const std::string kToken = "token-for-programs-7f3a9c";
const std::string kPluginSecret = "plugin-secret-5d1e";

/// Answers the contract's commands; "status 404" is an unknown order, "status 500" a failure,
/// any command without --json is bad usage (the contract: every admin call passes --json).
class ContractPlugin final : public Plugin {
 public:
  PluginInfo info() const override { return {"contract", "9.8.7", "admin API test", "contract"}; }
  Status startService() override { return {}; }
  void stop() noexcept override {}
  std::vector<Route> routes() override { return {}; }
  std::vector<CommandSpec> commands() const override { return {}; }

  int runCommand(const std::string& name, const std::vector<std::string>& args,
                 const CommandIO& io) noexcept override {
    std::string line = name;
    for (const auto& arg : args) line += " " + arg;
    {
      std::unique_lock lock(mutex_);
      calls.push_back(line);
      if (name == "verify" && holdVerify_) {  // stays in flight until release()
        ++held_;
        changed_.notify_all();
        changed_.wait_for(lock, std::chrono::seconds(30), [this] { return !holdVerify_; });
      }
    }
    if (args.empty() || args.back() != "--json") {
      *io.err << "usage: " << name << " ... --json\n";
      return 2;
    }
    if (name == "status" && args.front() == "404") {
      *io.out << R"({"error": "order 404 is not tracked"})";
      return 1;
    }
    if (name == "status" && args.front() == "500") {
      *io.out << R"({"error": "state: database is locked"})";
      return 1;
    }
    if (name == "status" && args.front() == "1000001") {  // an order's detail with its cost
      *io.out << R"({"order": {"orderId": 1000001}, "assets": [], "audit": [], "cost": {)"
              << R"("netOre": 52000, "vatOre": 13000, "grossOre": 65000, "net": "520.00", )"
              << R"("vat": "130.00", "gross": "650.00", "credited": true}})";
      return 0;
    }
    if (name == "failures") {  // a secret in an error text must not reach the browser
      *io.out << R"({"failures": [{"orderId": 1, "assetId": "a", "name": "n", "error": "token )"
              << kPluginSecret << R"( refused", "since": null}]})";
      return 0;
    }
    *io.out << R"({"command": ")" << name << R"("})";
    return 0;
  }

  /// From now on "verify" waits for release().
  void holdVerify() {
    std::lock_guard lock(mutex_);
    holdVerify_ = true;
  }
  /// Waits (30 s at most) until `count` verify calls are held; false when they never came.
  bool waitUntilHeld(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return held_ >= count; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    holdVerify_ = false;
    changed_.notify_all();
  }

  std::vector<std::string> calls;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool holdVerify_ = false;
  int held_ = 0;
};

struct Reply {
  int status = 0;
  std::string body;
  Poco::JSON::Object::Ptr json;
  std::map<std::string, std::string> headers;
};

class AdminApiTest : public testing::Test {
 protected:
  AdminApiTest() {
    logger_.addSecret(kPluginSecret);
    logger_.addSecret(kToken);
    AdminSettings settings;
    settings.users["alice"] = PasswordHash::make(kPassword, 1000);
    settings.token = kToken;
    settings.sessionLifetime = std::chrono::minutes(30);
    AdminApi::Sources sources;
    sources.plugin = &plugin_;
    sources.logger = &logger_;
    sources.maskedConfig = R"({"admin": {"token": "********"}, "dataDir": "/d"})";
    sources.modules = {ModuleDescriptor{{1, 1}, "plugin", "contract", "9.8.7", "gcc"}};
    sources.hostName = "dms-host 0.1.0";
    api_ = std::make_unique<AdminApi>(settings, sources, [this] { return now_; });
    routes_ = api_->routes();
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             std::map<std::string, std::string> headers = {},
             const std::string& address = "127.0.0.1:40000") {
    HttpRequest request;
    request.method = method;
    const auto mark = target.find('?');
    request.path = target.substr(0, mark);
    request.query = mark == std::string::npos ? "" : target.substr(mark + 1);
    request.body = body;
    request.headers = std::move(headers);
    request.remoteAddress = address;
    for (const auto& route : routes_) {
      if (route.method != method || route.path != request.path) continue;
      const HostResponse response = route.handler(request);
      Reply reply{response.answer.status, response.answer.body, nullptr, {}};
      for (const auto& [name, value] : response.headers) reply.headers[name] = value;
      if (response.answer.contentType == "application/json") {
        Poco::JSON::Parser parser;
        reply.json = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
      }
      return reply;
    }
    ADD_FAILURE() << "no route " << method << " " << request.path;
    return {};
  }

  /// Logs alice in; returns the headers a browser then sends (cookie, CSRF token).
  std::map<std::string, std::string> login() {
    const Reply reply =
        call("POST", "/admin/api/login", R"({"user": "alice", "password": ")" + kPassword + "\"}");
    EXPECT_EQ(reply.status, 200) << reply.body;
    const std::string cookie = reply.headers.at("Set-Cookie");
    return {{"cookie", "other=1; " + cookie.substr(0, cookie.find(';'))},
            {"x-csrf-token", reply.json->getValue<std::string>("csrfToken")}};
  }

  std::string lastCall() const { return plugin_.calls.empty() ? "" : plugin_.calls.back(); }

  std::ostringstream log_;
  StderrLogger logger_{log_};
  ContractPlugin plugin_;
  Clock::time_point now_ = Clock::now();
  std::unique_ptr<AdminApi> api_;
  std::vector<HostRoute> routes_;
};

TEST_F(AdminApiTest, LoginSetsAnHttpOnlyStrictCookieAndReturnsTheCsrfToken) {
  const Reply reply =
      call("POST", "/admin/api/login", R"({"user": "alice", "password": ")" + kPassword + "\"}");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json->getValue<std::string>("user"), "alice");
  EXPECT_GE(reply.json->getValue<std::string>("csrfToken").size(), 40U);
  const std::string cookie = reply.headers.at("Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("dms_admin_session=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/admin"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Max-Age=1800"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: " << cookie;
  EXPECT_NE(log_.str().find("alice logged in from 127.0.0.1"), std::string::npos) << log_.str();
  EXPECT_EQ(log_.str().find(kPassword), std::string::npos) << log_.str();
}

TEST_F(AdminApiTest, TheCookieIsSecureBehindATlsProxy) {
  const Reply reply =
      call("POST", "/admin/api/login", R"({"user": "alice", "password": ")" + kPassword + "\"}",
           {{"x-forwarded-proto", "https"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.headers.at("Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_F(AdminApiTest, WrongPasswordUnknownUserAndMissingFieldsAreRefused) {
  Reply reply = call("POST", "/admin/api/login", R"({"user": "alice", "password": "nope-nope"})");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.json->getValue<std::string>("error"), "wrong user name or password");
  EXPECT_EQ(reply.headers.count("Set-Cookie"), 0U);
  reply =
      call("POST", "/admin/api/login", R"({"user": "mallory", "password": ")" + kPassword + "\"}");
  EXPECT_EQ(reply.status, 401);
  reply = call("POST", "/admin/api/login", R"({"user": "alice"})");
  EXPECT_EQ(reply.status, 400);
  reply = call("POST", "/admin/api/login", "[1]");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.json->getValue<std::string>("error"), "request body: expected a JSON object");
}

TEST_F(AdminApiTest, EveryApiRouteButLoginNeedsCredentials) {
  std::size_t checked = 0;
  for (const auto& route : routes_) {
    if (!route.path.starts_with("/admin/api/") || route.path == "/admin/api/login") continue;
    const Reply reply = call(route.method, route.path, "{}");
    EXPECT_EQ(reply.status, 401) << route.method << " " << route.path;
    EXPECT_EQ(reply.json->getValue<std::string>("error"),
              "not logged in: log in at POST /admin/api/login");
    ++checked;
  }
  EXPECT_EQ(checked, 12U);
  EXPECT_TRUE(plugin_.calls.empty());
}

TEST_F(AdminApiTest, AnUnknownOrForgedSessionIsRefused) {
  const Reply reply =
      call("GET", "/admin/api/orders", "", {{"cookie", "dms_admin_session=forged"}});
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.json->getValue<std::string>("error"),
            "the session has expired or is unknown: log in again");
}

TEST_F(AdminApiTest, AnExpiredSessionIsRefused) {
  auto browser = login();
  now_ += std::chrono::minutes(29);
  EXPECT_EQ(call("GET", "/admin/api/session", "", browser).status, 200);
  now_ += std::chrono::minutes(1);
  const Reply reply = call("GET", "/admin/api/session", "", browser);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.json->getValue<std::string>("error"),
            "the session has expired or is unknown: log in again");
}

TEST_F(AdminApiTest, LogoutEndsTheSession) {
  auto browser = login();
  const Reply out = call("POST", "/admin/api/logout", "{}", browser);
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.headers.at("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(call("GET", "/admin/api/session", "", browser).status, 401);
}

TEST_F(AdminApiTest, TheBearerTokenWorksWithoutCsrfAndAWrongOneIsRefused) {
  Reply reply =
      call("POST", "/admin/api/sync", R"({"orderId": 7})", {{"authorization", "Bearer " + kToken}});
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(lastCall(), "sync --order 7 --actor token --json");
  reply = call("POST", "/admin/api/sync", R"({"orderId": 7})",
               {{"authorization", "Bearer " + kToken + "x"}});
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.json->getValue<std::string>("error"),
            "the Authorization header does not carry the admin token");
  EXPECT_EQ(plugin_.calls.size(), 1U);
}

TEST_F(AdminApiTest, AStateChangingCallWithoutTheCsrfTokenIsRefused) {
  auto browser = login();
  const std::string csrf = browser["x-csrf-token"];
  for (const char* path : {"track", "sync", "retry", "verify", "logout"}) {
    browser.erase("x-csrf-token");
    Reply reply = call("POST", std::string("/admin/api/") + path, R"({"orderId": 1})", browser);
    EXPECT_EQ(reply.status, 403) << path;
    EXPECT_EQ(reply.json->getValue<std::string>("error"),
              "the X-CSRF-Token header is missing or wrong");
    browser["x-csrf-token"] = csrf + "x";
    EXPECT_EQ(call("POST", std::string("/admin/api/") + path, R"({"orderId": 1})", browser).status,
              403)
        << path;
  }
  EXPECT_TRUE(plugin_.calls.empty());
  EXPECT_NE(log_.str().find("alice /admin/api/track refused: CSRF token missing or wrong"),
            std::string::npos);
  EXPECT_EQ(log_.str().find(csrf), std::string::npos) << "the token is not logged";
}

TEST_F(AdminApiTest, LoginsAreRateLimitedPerAddress) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(call("POST", "/admin/api/login", R"({"user": "alice", "password": "guess"})", {},
                   "10.0.0.9:1234")
                  .status,
              401);
  const std::string right = R"({"user": "alice", "password": ")" + kPassword + "\"}";
  Reply reply = call("POST", "/admin/api/login", right, {}, "10.0.0.9:1235");
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.headers.at("Retry-After"), "300");
  // Another address is not affected; the window passes.
  EXPECT_EQ(call("POST", "/admin/api/login", right, {}, "10.0.0.10:1").status, 200);
  now_ += LoginThrottle::kWindow;
  EXPECT_EQ(call("POST", "/admin/api/login", right, {}, "10.0.0.9:1236").status, 200);
}

// A wrong bearer token is a guess like a wrong password: it was neither limited nor logged, so
// a program could try tokens as fast as the listener answered.
TEST_F(AdminApiTest, WrongBearerTokensAreRateLimitedAndLoggedLikeFailedLogins) {
  const std::map<std::string, std::string> wrong{{"authorization", "Bearer " + kToken + "x"}};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(call("GET", "/admin/api/session", "", wrong, "10.0.0.11:1").status, 401);
  const std::map<std::string, std::string> right{{"authorization", "Bearer " + kToken}};
  Reply reply = call("GET", "/admin/api/session", "", right, "10.0.0.11:2");
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.headers.at("Retry-After"), "300");
  // The same window as the logins of that address.
  const std::string password = R"({"user": "alice", "password": ")" + kPassword + "\"}";
  EXPECT_EQ(call("POST", "/admin/api/login", password, {}, "10.0.0.11:3").status, 429);
  EXPECT_EQ(call("GET", "/admin/api/session", "", right, "10.0.0.12:1").status, 200);
  now_ += LoginThrottle::kWindow;
  EXPECT_EQ(call("GET", "/admin/api/session", "", right, "10.0.0.11:4").status, 200);
  EXPECT_NE(log_.str().find("wrong admin token from 10.0.0.11"), std::string::npos) << log_.str();
  EXPECT_EQ(log_.str().find(kToken), std::string::npos) << "the token is not logged";
}

// Failed logins and wrong tokens are limited per address, not across addresses, and the 429s
// after them not at all: each was logged on a line of its own, so any client could fill the
// host's log. The first of a minute is logged in full and the rest counted; the console's stop
// logs the count held back.
TEST_F(AdminApiTest, RefusedLoginsAndTokensAreLoggedBounded) {
  const std::string wrong = R"({"user": "alice", "password": "guess"})";
  const auto from = [](const std::string& network, int host) {
    return network + std::to_string(host) + ":1";
  };
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(call("POST", "/admin/api/login", wrong, {}, from("10.1.0.", i)).status, 401);
  const std::map<std::string, std::string> wrongToken{{"authorization", "Bearer guess"}};
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(call("GET", "/admin/api/session", "", wrongToken, from("10.2.0.", i)).status, 401);
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(call("POST", "/admin/api/login", wrong, {}, from("10.1.0.", 0)).status, 401);
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(call("POST", "/admin/api/login", wrong, {}, from("10.1.0.", 0)).status, 429);
  const auto linesWith = [&](const std::string& text) {
    std::size_t n = 0;
    std::istringstream lines(log_.str());
    for (std::string line; std::getline(lines, line);) n += line.find(text) != std::string::npos;
    return n;
  };
  EXPECT_EQ(linesWith("[admin]"), 1u) << log_.str().substr(0, 2000);
  EXPECT_EQ(linesWith("failed login from 10.1.0.0"), 1u) << log_.str().substr(0, 2000);

  now_ += std::chrono::seconds(60);
  ASSERT_EQ(call("POST", "/admin/api/login", wrong, {}, from("10.3.0.", 1)).status, 401);
  EXPECT_EQ(linesWith("63 more admin logins refused in that minute (10 answered 401 (wrong "
                      "token), 33 answered 401 (wrong user name or password), 20 answered 429; "
                      "not logged one by one)"),
            1u)
      << log_.str().substr(0, 2000);
  EXPECT_EQ(linesWith("failed login from 10.3.0.1"), 1u) << "a new minute logs its first in full";

  ASSERT_EQ(call("POST", "/admin/api/login", wrong, {}, from("10.3.0.", 2)).status, 401);
  api_->logHeldBackRefusals();
  EXPECT_EQ(linesWith("1 more admin login refused in that minute (1 answered 401 (wrong user "
                      "name or password); not logged one by one)"),
            1u)
      << log_.str();
  EXPECT_EQ(linesWith("[admin]"), 4u) << log_.str();
}

TEST_F(AdminApiTest, ReadEndpointsRunThePluginsCommandsWithJson) {
  auto browser = login();
  EXPECT_EQ(call("GET", "/admin/api/orders?page=2&perPage=10&search=Oppdrag%201&state=failing", "",
                 browser)
                .status,
            200);
  EXPECT_EQ(lastCall(), "status --page 2 --per-page 10 --search Oppdrag 1 --state failing --json");
  EXPECT_EQ(call("GET", "/admin/api/orders", "", browser).status, 200);
  EXPECT_EQ(lastCall(), "status --json");
  Reply reply = call("GET", "/admin/api/order?id=1000001", "", browser);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(lastCall(), "status 1000001 --json");
  // The order's cost (docs/admin-api.md) reaches the console as the plugin wrote it: exact.
  auto cost = reply.json->getObject("cost");
  ASSERT_TRUE(cost) << reply.body;
  EXPECT_EQ(cost->getValue<std::int64_t>("grossOre"), 65000);
  EXPECT_EQ(cost->getValue<std::string>("net"), "520.00");
  EXPECT_EQ(cost->getValue<std::string>("vat"), "130.00");
  EXPECT_EQ(cost->getValue<std::string>("gross"), "650.00");
  EXPECT_TRUE(cost->getValue<bool>("credited"));
  EXPECT_EQ(call("GET", "/admin/api/preview?order=1000001", "", browser).status, 200);
  EXPECT_EQ(lastCall(), "preview --order 1000001 --json");
  reply = call("GET", "/admin/api/failures", "", browser);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(lastCall(), "failures --json");
  EXPECT_EQ(reply.body.find(kPluginSecret), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("token ******** refused"), std::string::npos) << reply.body;
}

TEST_F(AdminApiTest, ActionsPassTheActorAndAreAudited) {
  auto browser = login();
  EXPECT_EQ(
      call("POST", "/admin/api/track", R"({"orderId": 42, "reference": "ref 1"})", browser).status,
      200);
  EXPECT_EQ(lastCall(), "track 42 --reference ref 1 --actor alice --json");
  EXPECT_EQ(call("POST", "/admin/api/sync", R"({"orderId": "42"})", browser).status, 200);
  EXPECT_EQ(lastCall(), "sync --order 42 --actor alice --json");
  EXPECT_EQ(
      call("POST", "/admin/api/retry", R"({"orderId": 42, "assetId": "a-1"})", browser).status,
      200);
  EXPECT_EQ(lastCall(), "retry 42 --asset a-1 --actor alice --json");
  EXPECT_EQ(call("POST", "/admin/api/retry", R"({"orderId": 42})", browser).status, 200);
  EXPECT_EQ(lastCall(), "retry 42 --actor alice --json");
  EXPECT_EQ(
      call("POST", "/admin/api/verify", R"({"repair": true, "quick": false})", browser).status,
      200);
  EXPECT_EQ(lastCall(), "verify --repair --actor alice --json");
  EXPECT_NE(log_.str().find("audit: alice retry 42 --asset a-1 -> 200"), std::string::npos)
      << log_.str();
  EXPECT_NE(log_.str().find("audit: alice verify --repair -> 200"), std::string::npos);
}

TEST_F(AdminApiTest, ExitCodesMapToStatuses) {
  auto browser = login();
  Reply reply = call("GET", "/admin/api/order?id=404", "", browser);
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.json->getValue<std::string>("error"), "order 404 is not tracked");
  reply = call("GET", "/admin/api/order?id=500", "", browser);
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.json->getValue<std::string>("error"), "state: database is locked");
}

TEST_F(AdminApiTest, CommandsBeyondTheLimitAreAnsweredBusyAtOnce) {
  plugin_.holdVerify();
  const std::map<std::string, std::string> program{{"authorization", "Bearer " + kToken}};
  std::vector<int> statuses(AdminApi::kMaxCommandsInFlight);
  std::vector<std::thread> running;
  for (int i = 0; i < AdminApi::kMaxCommandsInFlight; ++i)
    running.emplace_back(
        [&, i] { statuses[i] = call("POST", "/admin/api/verify", "{}", program).status; });
  const bool held = plugin_.waitUntilHeld(AdminApi::kMaxCommandsInFlight);
  const Reply busy = call("GET", "/admin/api/failures", "", program);
  plugin_.release();
  for (auto& thread : running) thread.join();
  ASSERT_TRUE(held);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.json->getValue<std::string>("error"),
            "the console is busy with other commands: try again shortly");
  for (int status : statuses) EXPECT_EQ(status, 200);
  EXPECT_EQ(call("GET", "/admin/api/failures", "", program).status, 200);  // free again
}

TEST_F(AdminApiTest, BadParametersAreRefusedNamingTheParameter) {
  auto browser = login();
  const std::pair<std::string, std::string> cases[] = {
      {"/admin/api/orders?page=0",
       "query parameter 'page': expected a number from 1 to 1000000000"},
      {"/admin/api/orders?perPage=501",
       "query parameter 'perPage': expected a number from 1 to 500"},
      {"/admin/api/orders?state=lost",
       "query parameter 'state': expected active, finished or failing"},
      {"/admin/api/order?id=12a", "query parameter 'id': expected an order id (digits)"},
      {"/admin/api/order", "query parameter 'id': expected an order id (digits)"},
      {"/admin/api/preview?order=-1", "query parameter 'order': expected an order id (digits)"},
  };
  for (const auto& [target, error] : cases) {
    const Reply reply = call("GET", target, "", browser);
    EXPECT_EQ(reply.status, 400) << target;
    EXPECT_EQ(reply.json->getValue<std::string>("error"), error) << target;
  }
  Reply reply = call("POST", "/admin/api/sync", R"({"orderId": "1; rm"})", browser);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.json->getValue<std::string>("error"),
            "request body: 'orderId' must be an order id");
  reply = call("POST", "/admin/api/verify", R"({"repair": "yes"})", browser);
  EXPECT_EQ(reply.json->getValue<std::string>("error"),
            "request body: 'repair' must be true or false");
  EXPECT_TRUE(plugin_.calls.empty());
}

TEST_F(AdminApiTest, ConfigurationIsTheMaskedViewAndModulesNameTheirInterface) {
  auto browser = login();
  Reply reply = call("GET", "/admin/api/config", "", browser);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.json->getObject("admin")->getValue<std::string>("token"), "********");
  reply = call("GET", "/admin/api/modules", "", browser);
  EXPECT_EQ(reply.json->getValue<std::string>("host"), "dms-host 0.1.0");
  auto module = reply.json->getArray("modules")->getObject(0);
  EXPECT_EQ(module->getValue<std::string>("name"), "contract");
  EXPECT_EQ(module->getValue<std::string>("version"), "9.8.7");
  EXPECT_EQ(module->getValue<std::string>("interfaceVersion"), "1.1");
}

TEST_F(AdminApiTest, ThePageIsServedWithoutLoginAndForbidsFramingAndForeignScripts) {
  const Reply page = call("GET", "/admin/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<label for=\"login-user\">"), std::string::npos);
  EXPECT_NE(page.headers.at("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(page.headers.at("X-Frame-Options"), "DENY");
  EXPECT_NE(call("GET", "/admin/admin.js").body.find("X-CSRF-Token"), std::string::npos);
  EXPECT_EQ(call("GET", "/admin").headers.at("Location"), "/admin/");
}

TEST(AdminSessions, AreBoundedAndExpire) {
  auto now = Clock::now();
  AdminSessions sessions(std::chrono::seconds(60), [&] { return now; });
  std::vector<Session> open;
  for (std::size_t i = 0; i < AdminSessions::kMaxSessions; ++i) open.push_back(*sessions.open("u"));
  EXPECT_FALSE(sessions.open("u"));
  EXPECT_NE(open[0].id, open[1].id);
  EXPECT_NE(open[0].csrfToken, open[0].id);
  now += std::chrono::seconds(60);
  EXPECT_FALSE(sessions.find(open[0].id));
  EXPECT_TRUE(sessions.open("u"));  // the expired ones made room
}

TEST(LoginThrottle, RemembersABoundedNumberOfAddresses) {
  auto now = Clock::now();
  LoginThrottle throttle([&] { return now; });
  for (std::size_t i = 0; i < LoginThrottle::kMaxAddresses; ++i)
    throttle.failed("10.1." + std::to_string(i));
  // Full: a new address must wait (memory stays bounded) until the windows pass.
  EXPECT_FALSE(throttle.allowed("10.2.0.1"));
  EXPECT_TRUE(throttle.allowed("10.1.0"));
  now += LoginThrottle::kWindow;
  EXPECT_TRUE(throttle.allowed("10.2.0.1"));
}

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
  const std::string hash = PasswordHash::make("s3cret-password", 1000);
  EXPECT_TRUE(hash.starts_with("pbkdf2-sha256$1000$")) << hash;
  EXPECT_TRUE(PasswordHash::check(hash).ok());
  EXPECT_TRUE(PasswordHash::verify("s3cret-password", hash));
  EXPECT_FALSE(PasswordHash::verify("s3cret-passwore", hash));
  EXPECT_NE(PasswordHash::make("s3cret-password", 1000), hash) << "a fresh salt each time";
  EXPECT_EQ(PasswordHash::check("plain").error().message,
            "expected a hash starting with \"pbkdf2-sha256$\" (make one with dms-host "
            "admin-password)");
  EXPECT_FALSE(PasswordHash::verify("x", "pbkdf2-sha256$10$AAAA$AAAA"));
}

}  // namespace
}  // namespace dms::host::admin
