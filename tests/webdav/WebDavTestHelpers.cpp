#include "WebDavTestHelpers.h"

#include <sys/wait.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "dms/webdav/WebDavOptions.h"

namespace dms::test {

namespace {

std::string configFor(const std::string& url, const std::string& user, const std::string& password,
                      const std::string& extra) {
  std::string json = "{\"connector\": \"webdav\", \"url\": \"" + url +
                     "\", \"retryDelayMs\": 50, \"timeoutSeconds\": 20";
  if (extra.find("\"retries\"") == std::string::npos) json += ", \"retries\": 6";
  if (!user.empty()) json += ", \"username\": \"" + user + "\", \"password\": \"" + password + "\"";
  if (!extra.empty()) json += ", " + extra;
  return json + "}";
}

std::unique_ptr<webdav::WebDavTarget> targetFromConfig(const std::string& json, Logger& logger) {
  auto options = webdav::WebDavOptions::parse(json);
  if (!options) throw std::runtime_error(options.error().describe());
  auto target = webdav::WebDavTarget::create(*options, logger);
  if (!target) throw std::runtime_error(target.error().describe());
  return std::move(*target);
}

/// Sorted names in <davRoot>/<collection>/<folder>, without mod_dav_fs's ".DAV" folder.
std::vector<std::string> namesIn(const std::filesystem::path& davRoot,
                                 const std::string& collection, const std::string& folder) {
  std::filesystem::path dir = davRoot / collection;
  if (!folder.empty()) dir /= folder;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name != ".DAV") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string webdavConfig(const ApacheServer& server, const std::string& url,
                         const std::string& extra) {
  if (server.options().auth == ApacheAuth::None) return configFor(url, "", "", extra);
  return configFor(url, server.options().user, server.options().password, extra);
}

std::string webdavConfig(const DavServer& server, const std::string& url,
                         const std::string& extra) {
  return configFor(url, server.user(), server.password(), extra);
}

std::unique_ptr<webdav::WebDavTarget> makeWebDavTargetAt(const DavServer& server,
                                                         const std::string& url, Logger& logger,
                                                         const std::string& extra) {
  return targetFromConfig(webdavConfig(server, url, extra), logger);
}

std::vector<std::string> rawNamesOnDisk(const DavServer& server, const std::string& collection,
                                        const std::string& folder) {
  return namesIn(server.davRoot(), collection, folder);
}

std::unique_ptr<webdav::WebDavTarget> makeWebDavTarget(ApacheServer& server,
                                                       const std::string& name, Logger& logger,
                                                       const std::string& extra) {
  return targetFromConfig(webdavConfig(server, server.createCollection(name), extra), logger);
}

std::vector<std::string> rawNamesOnDisk(const ApacheServer& server, const std::string& collection,
                                        const std::string& folder) {
  return namesIn(server.davRoot(), collection, folder);
}

std::string runCommand(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run: " + command);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  int rc = ::pclose(pipe);
  if (status != nullptr) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

}  // namespace dms::test
