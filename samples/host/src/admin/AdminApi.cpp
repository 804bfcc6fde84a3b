#include "AdminApi.h"

#include "AdminHttp.h"
#include "AdminUi.h"
#include "PasswordHash.h"

namespace dms::host::admin {

namespace {

constexpr const char* kSource = "admin";
constexpr const char* kApi = "/admin/api/";

/// Security headers for the page: no framing (clickjacking), nothing from elsewhere.
const std::vector<std::pair<std::string, std::string>> kPageHeaders = {
    {"Content-Security-Policy",
     "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    {"X-Frame-Options", "DENY"},
    {"X-Content-Type-Options", "nosniff"},
    {"Cache-Control", "no-cache"},
};

std::string sessionCookie(const HttpRequest& request, const std::string& value, long maxAge) {
  auto proto = request.headers.find("x-forwarded-proto");
  // Behind a TLS-terminating proxy the browser must never send the cookie in clear.
  const bool tls = proto != request.headers.end() && proto->second == "https";
  return std::string(kSessionCookie) + "=" + value + "; Path=/admin; HttpOnly; SameSite=Strict" +
         "; Max-Age=" + std::to_string(maxAge) + (tls ? "; Secure" : "");
}

}  // namespace

AdminApi::AdminApi(AdminSettings settings, Sources sources, NowFunction now)
    : settings_(std::move(settings)),
      sources_(std::move(sources)),
      sessions_(settings_.sessionLifetime, now),
      throttle_(now),
      refusals_(*sources_.logger, kSource, {"admin login refused", "admin logins refused"}, [now] {
        return static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count());
      }) {
  // As costly as a real user's hash, so that timing does not tell which names exist.
  const unsigned iterations = settings_.users.empty()
                                  ? PasswordHash::kIterations
                                  : PasswordHash::iterationsOf(settings_.users.begin()->second);
  decoyHash_ = PasswordHash::make(randomToken(), iterations);
}

AdminApi::Caller AdminApi::authenticate(const HttpRequest& request) {
  Caller caller;
  if (auto header = request.headers.find("authorization"); header != request.headers.end()) {
    // A guessed token is a failed login like a guessed password: limited per address, logged.
    const std::string address = clientHost(request);
    if (!throttle_.allowed(address)) {
      caller.throttled = true;
      return caller;
    }
    const std::string prefix = "Bearer ";
    if (!settings_.token.empty() && header->second.starts_with(prefix) &&
        equalConstantTime(header->second.substr(prefix.size()), settings_.token)) {
      caller.actor = "token";
      return caller;
    }
    throttle_.failed(address);
    refusals_.refused("answered 401 (wrong token)", LogLevel::Warning,
                      "wrong admin token from " + address);
    caller.error = "the Authorization header does not carry the admin token";
    return caller;
  }
  const std::string id = cookie(request, kSessionCookie);
  if (id.empty()) {
    caller.error = "not logged in: log in at POST /admin/api/login";
    return caller;
  }
  caller.session = sessions_.find(id);
  if (!caller.session) {
    caller.error = "the session has expired or is unknown: log in again";
    return caller;
  }
  caller.actor = caller.session->user;
  return caller;
}

HostRoute AdminApi::guarded(std::string method, std::string path, Access access, Handler handler) {
  return {method, path, kMaxBodyBytes,
          [this, access, handler = std::move(handler)](const HttpRequest& request) {
            const Caller caller = authenticate(request);
            if (caller.throttled) return tooManyFailures(clientHost(request));
            if (caller.actor.empty()) return errorAnswer(401, caller.error);
            // A cookie is sent by the browser on its own; the CSRF token only by our page.
            if (access == Access::Change && caller.session) {
              auto sent = request.headers.find(kCsrfHeader);
              if (sent == request.headers.end() ||
                  !equalConstantTime(sent->second, caller.session->csrfToken)) {
                sources_.logger->warning(kSource, caller.actor + " " + request.path +
                                                      " refused: CSRF token missing or wrong");
                return errorAnswer(403, "the X-CSRF-Token header is missing or wrong");
              }
            }
            return handler(request, caller);
          }};
}

HostResponse AdminApi::tooManyFailures(const std::string& address) {
  refusals_.refused("answered 429", LogLevel::Warning,
                    "login from " + address + " refused: too many failures");
  HostResponse reply = errorAnswer(429,
                                   "too many failed logins from this address: wait "
                                   "a few minutes");
  reply.headers.emplace_back("Retry-After", std::to_string(LoginThrottle::kWindow.count()));
  return reply;
}

HostResponse AdminApi::login(const HttpRequest& request) {
  const std::string address = clientHost(request);
  if (!throttle_.allowed(address)) return tooManyFailures(address);
  std::string error;
  auto body = jsonBody(request, error);
  if (!body) return errorAnswer(400, error);
  const std::string user = (*body)->optValue<std::string>("user", "");
  const std::string password = (*body)->optValue<std::string>("password", "");
  if (user.empty() || password.empty())
    return errorAnswer(400, "request body: expected {\"user\": ..., \"password\": ...}");
  auto known = settings_.users.find(user);
  const bool ok =
      PasswordHash::verify(password, known == settings_.users.end() ? decoyHash_ : known->second) &&
      known != settings_.users.end();
  if (!ok) {
    throttle_.failed(address);
    refusals_.refused("answered 401 (wrong user name or password)", LogLevel::Warning,
                      "failed login from " + address);
    return errorAnswer(401, "wrong user name or password");
  }
  throttle_.succeeded(address);
  auto session = sessions_.open(user);
  if (!session) return errorAnswer(503, "too many sessions: try again later");
  sources_.logger->info(kSource, user + " logged in from " + address);
  Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
  answer->set("user", user);
  answer->set("csrfToken", session->csrfToken);
  answer->set("expiresInSeconds", static_cast<Poco::Int64>(sessions_.lifetime().count()));
  HostResponse reply = jsonAnswer(200, answer);
  reply.headers.emplace_back("Set-Cookie",
                             sessionCookie(request, session->id, sessions_.lifetime().count()));
  return reply;
}

HostResponse AdminApi::logout(const HttpRequest& request, const Caller& caller) {
  if (caller.session) sessions_.close(caller.session->id);
  sources_.logger->info(kSource, caller.actor + " logged out");
  HostResponse reply = jsonAnswer(200, "{\"loggedOut\":true}");
  reply.headers.emplace_back("Set-Cookie", sessionCookie(request, "", 0));
  return reply;
}

HostResponse AdminApi::session(const Caller& caller) {
  Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
  answer->set("user", caller.actor);
  if (caller.session) answer->set("csrfToken", caller.session->csrfToken);
  return jsonAnswer(200, answer);
}

std::vector<HostRoute> AdminApi::routes() {
  const std::string api = kApi;
  using R = const HttpRequest&;
  using C = const Caller&;
  std::vector<HostRoute> routes = {
      {"POST", api + "login", kMaxBodyBytes, [this](R request) { return login(request); }},
      guarded("POST", api + "logout", Access::Change,
              [this](R request, C caller) { return logout(request, caller); }),
      guarded("GET", api + "session", Access::Read,
              [this](R, C caller) { return session(caller); }),
      guarded("GET", api + "orders", Access::Read,
              [this](R request, C) { return orders(request); }),
      guarded("GET", api + "order", Access::Read, [this](R request, C) { return order(request); }),
      guarded("GET", api + "failures", Access::Read,
              [this](R, C) { return runPlugin("failures", {}); }),
      guarded("GET", api + "preview", Access::Read,
              [this](R request, C) { return preview(request); }),
      guarded("POST", api + "track", Access::Change,
              [this](R request, C caller) { return track(request, caller); }),
      guarded("POST", api + "sync", Access::Change,
              [this](R request, C caller) { return sync(request, caller); }),
      guarded("POST", api + "retry", Access::Change,
              [this](R request, C caller) { return retry(request, caller); }),
      guarded("POST", api + "verify", Access::Change,
              [this](R request, C caller) { return verify(request, caller); }),
      guarded("GET", api + "config", Access::Read,
              [this](R, C) { return jsonAnswer(200, sources_.maskedConfig); }),
      guarded("GET", api + "modules", Access::Read, [this](R, C) { return modules(); }),
  };
  // The page: public (it holds no data; the API behind it asks for a login).
  routes.push_back({"GET", "/admin", 0, [](R) {
                      HostResponse reply{{303, "text/plain", "see /admin/"}, {}};
                      reply.headers.emplace_back("Location", "/admin/");
                      return reply;
                    }});
  for (const auto& file : adminUiFiles()) {
    routes.push_back(
        {"GET", std::string("/admin/") + file.name, 0, [&file](R) {
           return HostResponse{{200, file.contentType, std::string(file.content)}, kPageHeaders};
         }});
  }
  return routes;
}

}  // namespace dms::host::admin
