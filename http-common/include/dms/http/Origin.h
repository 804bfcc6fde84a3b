#pragma once
/// The (scheme, host, port) triple of a URL: what keep-alive sessions are pooled by and what
/// decides whether credentials may be sent.

#include <cstdint>
#include <string>

#include <Poco/URI.h>

#include "dms/Error.h"

namespace dms::http {

struct Origin {
  std::string scheme;  ///< "http" or "https", lower-case
  std::string host;    ///< lower-case
  std::uint16_t port = 0;

  /// Origin of an absolute http(s) URL. InvalidArgument for anything else (names the URL
  /// without its query, which may carry a signature).
  static Result<Origin> of(const Poco::URI& uri);

  /// "https://api.ambita.com:443"
  std::string str() const;

  bool operator==(const Origin&) const = default;
};

/// scheme://host/path of a URL, without query and fragment: safe for logs and error messages
/// (pre-signed download URLs carry credentials in their query).
std::string redactedUrl(const Poco::URI& uri);

}  // namespace dms::http
