#pragma once
/// URL path helpers for WebDAV: percent-encoding of path segments (RFC 3986, UTF-8 bytes, upper
/// case hex), decoding (any hex case) and turning a multistatus href (absolute URL, absolute path
/// or relative reference) into a path relative to the target's base collection.

#include <optional>
#include <string>
#include <string_view>

namespace dms::webdav {

/// Encodes one segment: everything but RFC 3986 unreserved characters becomes %XX, so '/', '#',
/// '?', '%', '+', ' ' and non-ASCII bytes never reach the server raw.
std::string encodeSegment(std::string_view segment);

/// Encodes a '/'-separated relative path segment by segment ("" stays "").
std::string encodeRelativePath(std::string_view path);

/// Decodes %XX (either hex case); a '%' not followed by two hex digits is kept as is.
std::string percentDecode(std::string_view text);

/// The path of `href` relative to the collection whose encoded absolute path is
/// `baseEncodedPath` (ends with '/'), decoded, without leading or trailing '/'. Relative hrefs
/// are resolved against `requestEncodedPath`. nullopt when the href lies outside the base.
std::optional<std::string> hrefToRelativePath(std::string_view href,
                                              std::string_view baseEncodedPath,
                                              std::string_view requestEncodedPath);

}  // namespace dms::webdav
