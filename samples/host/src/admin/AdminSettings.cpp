#include "AdminSettings.h"

#include "PasswordHash.h"

namespace dms::host::admin {

namespace {

/// A token shorter than this could be guessed within the login rate limit's lifetime.
constexpr std::size_t kMinTokenLength = 16;
constexpr long kMaxSessionMinutes = 24 * 60;

}  // namespace

std::vector<ConfigOption> adminOptions() {
  return {
      {"admin.listen", OptionType::String, "\"127.0.0.1:8090\"", false, false,
       "host:port of the admin console and its JSON API (on when the admin section exists)"},
      {"admin.users", OptionType::StringMap, "{}", false, false,
       "user name -> password hash (dms-host admin-password); shown masked"},
      {"admin.token", OptionType::String, "", false, true,
       "bearer token for programs calling the JSON API (16 characters or more)"},
      {"admin.sessionMinutes", OptionType::Integer, "30", false, false,
       "a login session ends this long after the login, 1-1440"},
  };
}

std::optional<AdminSettings> readAdminSettings(const Poco::JSON::Object::Ptr& section,
                                               ConfigIssues& issues) {
  if (!section) return std::nullopt;
  const std::size_t before = issues.size();
  AdminSettings settings;
  if (section->has("listen") && section->get("listen").isString()) {
    const auto text = section->getValue<std::string>("listen");
    if (auto address = ListenAddress::parse(text))
      settings.listen = *address;
    else
      issues.push_back(
          {"admin.listen", "expected \"host:port\" with a port 0-65535, got \"" + text + "\""});
  }
  if (auto users = section->getObject("users")) {
    for (const auto& name : users->getNames()) {
      if (!users->get(name).isString()) continue;  // reported by the schema
      const auto hash = users->getValue<std::string>(name);
      if (auto valid = PasswordHash::check(hash); !valid)
        issues.push_back({"admin.users." + name, valid.error().message});
      else
        settings.users[name] = hash;
    }
  }
  if (section->has("token") && section->get("token").isString()) {
    settings.token = section->getValue<std::string>("token");
    if (settings.token.size() < kMinTokenLength)
      issues.push_back({"admin.token", "expected " + std::to_string(kMinTokenLength) +
                                           " characters or more (e.g. openssl rand -hex 32)"});
  }
  if (section->has("sessionMinutes") && section->get("sessionMinutes").isInteger()) {
    const long minutes = section->get("sessionMinutes").convert<long>();
    if (minutes < 1 || minutes > kMaxSessionMinutes)
      issues.push_back({"admin.sessionMinutes", "expected 1 to " +
                                                    std::to_string(kMaxSessionMinutes) + ", got " +
                                                    std::to_string(minutes)});
    else
      settings.sessionLifetime = std::chrono::minutes(minutes);
  }
  if (settings.users.empty() && settings.token.empty() && issues.size() == before) {
    const std::string where = settings.listen.host + ":" + std::to_string(settings.listen.port);
    issues.push_back(
        {"admin", std::string(settings.listen.loopback() ? "" : "bound beyond loopback (") +
                      (settings.listen.loopback() ? "" : where + ") ") +
                      "without credentials: the console never serves without authentication; "
                      "configure admin.users (dms-host admin-password) or admin.token"});
  }
  if (issues.size() != before) return std::nullopt;
  return settings;
}

}  // namespace dms::host::admin
