#pragma once
/// The `admin` section of dms-host's configuration: the admin console and its JSON API
/// (docs/admin-api.md). Off when the section is absent. Someone must be able to log in
/// (admin.users or admin.token), so the console never serves without authentication, on
/// loopback or beyond it.

#include <Poco/JSON/Object.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "ConfigIssue.h"
#include "ListenAddress.h"
#include "dms/ConfigSchema.h"

namespace dms::host::admin {

struct AdminSettings {
  ListenAddress listen{"127.0.0.1", 8090};
  std::map<std::string, std::string> users;  ///< name -> PasswordHash
  std::string token;                         ///< bearer token for programs; empty: none
  std::chrono::seconds sessionLifetime{30 * 60};
};

/// The section's options, as host keys ("admin.listen", ...), for HostSetup::hostSchema.
std::vector<ConfigOption> adminOptions();

/// The settings from the validated `admin` section; nullopt when it is absent or wrong (then
/// `issues` says why, naming the key). Type errors were reported by the schema already.
std::optional<AdminSettings> readAdminSettings(const Poco::JSON::Object::Ptr& section,
                                               ConfigIssues& issues);

}  // namespace dms::host::admin
