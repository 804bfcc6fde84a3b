#include "filing/PostgresLocation.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace ambita::filing {
namespace {

/// Poco's connector splits its connection string at spaces and has no quoting.
bool fitsConnectionString(const std::string& value) {
  return !value.empty() && value.find_first_of(" \t\r\n'\"\\=") == std::string::npos;
}

}  // namespace

std::string PostgresLocation::display() const {
  return "postgresql://" + user + "@" + host + ":" + std::to_string(port) + "/" + database;
}

std::string PostgresLocation::connectionString() const {
  std::string s = "host=" + host + " port=" + std::to_string(port) + " user=" + user +
                  " dbname=" + database +
                  " connect_timeout=" + std::to_string(kConnectTimeoutSeconds);
  if (!password.empty()) s += " password=" + password;
  return s;
}

dms::Result<PostgresLocation> PostgresLocation::parse(const std::string& url) {
  auto invalid = [](const std::string& why) {
    return dms::fail(dms::ErrorCode::InvalidArgument, "state.url: " + why);
  };
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception&) {
    return invalid("not a URL (expected postgresql://user@host:port/database)");
  }
  if (uri.getScheme() != "postgresql" && uri.getScheme() != "postgres")
    return invalid("scheme '" + uri.getScheme() +
                   "' is not postgresql (expected postgresql://user@host:port/database)");
  PostgresLocation location;
  location.host = uri.getHost();
  location.port = uri.getPort() == 0 ? 5432 : uri.getPort();
  const std::string userInfo = uri.getUserInfo();
  const auto colon = userInfo.find(':');
  location.user = userInfo.substr(0, colon);
  if (colon != std::string::npos) location.password = userInfo.substr(colon + 1);
  location.database = uri.getPath().empty() ? "" : uri.getPath().substr(1);
  if (!fitsConnectionString(location.host)) return invalid("the host is missing or invalid");
  if (!fitsConnectionString(location.user))
    return invalid("the user is missing or invalid (postgresql://USER@host:port/database)");
  if (!fitsConnectionString(location.database) || location.database.find('/') != std::string::npos)
    return invalid("the database name is missing or invalid in " + location.display());
  if (!location.password.empty() && !fitsConnectionString(location.password))
    return invalid("the password for " + location.display() +
                   " contains a space, quote, backslash or '=', which the connector cannot pass");
  if (!uri.getRawQuery().empty() || !uri.getFragment().empty())
    return invalid("options after '?' or '#' are not supported in " + location.display());
  return location;
}

}  // namespace ambita::filing
