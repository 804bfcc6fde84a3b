#include "dms/webdav/WebDavOptions.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "dms/config/OptionReader.h"

#include "dms/http/Loopback.h"

namespace dms::webdav {
namespace {

Error badKey(const std::string& key, const std::string& problem) {
  return fail(ErrorCode::InvalidArgument, "target." + key + ": " + problem);
}

}  // namespace

ConfigSchema WebDavOptions::schema() {
  using T = OptionType;
  ConfigSchema schema;
  schema.options = {
      {"url", T::String, "", true, false,
       "Base collection URL, e.g. https://dms.example.com/remote.php/dav/files/ambita/"},
      {"username", T::String, "", false, false, "User for Basic or Digest authentication"},
      {"password", T::String, "", false, true, "Password (write it as ${ENV_NAME})"},
      {"bearerToken", T::String, "", false, true,
       "Bearer token instead of username/password (write it as ${ENV_NAME})"},
      {"caFile", T::String, "", false, false,
       "PEM file of CA certificates to trust (default: the system's)"},
      {"connectTimeoutSeconds", T::Integer, "10", false, false, "Connection timeout (1-3600)"},
      {"readTimeoutSeconds", T::Integer, "60", false, false,
       "Send/receive timeout per request (1-86400); also bounds an answer's whole head, and "
       "its body must bring at least 1 KiB per this"},
      {"concurrency", T::Integer, "4", false, false, "Maximum parallel connections (1-256)"},
      {"metadata", T::String, "\"auto\"", false, false,
       "auto | properties | sidecar: where file metadata is kept"},
      {"maxAttempts", T::Integer, "5", false, false,
       "Attempts per request (1-21) after connection errors, timeouts, 5xx, 423, 429"},
      {"initialBackoffMs", T::Integer, "250", false, false,
       "First retry delay in milliseconds (0-60000); doubles per attempt (max 8 s)"},
      {"allowInsecureHttp", T::Boolean, "false", false, false,
       "Allow credentials over plain http:// to a non-loopback host (sent unencrypted)"},
      // The spellings before the option names were made the same in every section.
      renamedOption("timeoutSeconds", "readTimeoutSeconds"),
      renamedOption("retries", "maxAttempts", 1),  // the attempts after the first
      renamedOption("retryDelayMs", "initialBackoffMs"),
  };
  return schema;
}

Result<WebDavOptions> WebDavOptions::parse(const std::string& json,
                                           std::vector<std::string>* warnings) {
  // Types, defaults, unknown and dotted keys: the declared schema, checked by the one reader.
  auto reader = config::OptionReader::parse(json, schema(), "target", {"connector"});
  if (!reader) return reader.error();
  if (warnings) *warnings = reader->warnings();

  WebDavOptions options;
  options.url = reader->string("url");
  options.username = reader->string("username");
  options.password = reader->string("password");
  options.bearerToken = reader->string("bearerToken");
  options.caFile = reader->string("caFile");
  const std::string metadata = reader->string("metadata");
  if (metadata == "auto")
    options.metadata = MetadataMode::Auto;
  else if (metadata == "properties")
    options.metadata = MetadataMode::Properties;
  else if (metadata == "sidecar")
    options.metadata = MetadataMode::Sidecar;
  else
    return badKey("metadata", "expected auto, properties or sidecar, got '" + metadata + "'");

  struct Bounded {
    const char* key;
    long long min, max;
    int* field;
  };
  int attempts = 0;  // counts the first attempt; the client counts only the retries
  for (const auto& [key, min, max, field] :
       {Bounded{"connectTimeoutSeconds", 1, 3600, &options.connectTimeoutSeconds},
        Bounded{"readTimeoutSeconds", 1, 86400, &options.timeoutSeconds},
        Bounded{"concurrency", 1, 256, &options.concurrency},
        Bounded{"maxAttempts", 1, 21, &attempts},
        Bounded{"initialBackoffMs", 0, 60000, &options.retryDelayMs}}) {
    auto value = reader->integerIn(key, min, max);
    if (!value) return value.error();
    *field = static_cast<int>(*value);
  }
  options.retries = attempts - 1;
  options.allowInsecureHttp = reader->boolean("allowInsecureHttp");

  if (options.url.empty()) return badKey("url", "required (the base collection URL)");
  try {
    Poco::URI uri(options.url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https")
      return badKey("url",
                    "expected an http:// or https:// URL, got scheme '" + uri.getScheme() + "'");
    if (uri.getHost().empty()) return badKey("url", "the URL has no host");
    if (!uri.getUserInfo().empty())
      return badKey("url", "must not contain user information; use username and password");
    if (!uri.getRawQuery().empty() || !uri.getFragment().empty())
      return badKey("url", "must not contain a query or fragment");

  } catch (const Poco::Exception& e) {
    return badKey("url", "not a valid URL: " + e.displayText());
  }
  if (!options.bearerToken.empty() && (!options.username.empty() || !options.password.empty()))
    return badKey("bearerToken", "give either bearerToken or username/password, not both");
  if (!options.password.empty() && options.username.empty())
    return badKey("username", "required when a password is given");
  // Basic sends the password in every request, Digest lets an eavesdropper attack it, and a
  // bearer token is as good as a password: all need TLS unless the server is this machine.
  const bool credentials = !options.username.empty() || !options.bearerToken.empty();
  const Poco::URI uri(options.url);
  if (uri.getScheme() == "http" && credentials && !options.allowInsecureHttp &&
      !dms::http::isLoopbackHost(uri.getHost()))
    return badKey("url", "plain http:// to " + uri.getHost() +
                             " would send the credentials unencrypted; use https:// or set "
                             "target.allowInsecureHttp to true");
  return options;
}

}  // namespace dms::webdav
