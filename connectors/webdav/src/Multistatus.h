#pragma once
/// Parsing of WebDAV 207 Multi-Status answers (PROPFIND, PROPPATCH) with Poco's namespace-aware
/// SAX parser (no document tree: memory follows the resources, and no nesting depth can
/// exhaust the stack), and the mapping between metadata keys and XML property names in the
/// project's own namespace.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dms/Error.h"

namespace dms::webdav {

/// The XML namespace of metadata properties written by this connector.
inline constexpr const char* kMetaNamespace = "urn:ambita-dms:meta:1";

/// One <D:response> of a multistatus answer.
struct DavResource {
  std::string href;         ///< as sent by the server (still encoded)
  std::string path;         ///< relative to the base collection, decoded (filled by the caller)
  bool collection = false;  ///< resourcetype contains <D:collection/>
  std::optional<std::uint64_t> contentLength;
  std::int64_t modifiedEpochSeconds = 0;        ///< from getlastmodified (0 when absent)
  std::string etag;                             ///< getetag, quotes included ("" when absent)
  std::map<std::string, std::string> metadata;  ///< our namespace's properties (200 propstat)
  /// Status per property (local name with namespace, "{ns}name"), e.g. for PROPPATCH results.
  std::vector<std::pair<std::string, int>> propertyStatus;
  int status = 0;  ///< a response-level <D:status>, 0 when the response uses propstats
};

/// Parses a multistatus body. Errors: Internal naming `what` when the XML is malformed or not
/// a DAV:multistatus document.
Result<std::vector<DavResource>> parseMultistatus(const std::string& xml, std::string_view what);

/// The XML local name for a metadata key: "m_" + the key with every byte outside [A-Za-z0-9.-]
/// written as _XX (so any key is a valid XML name and the mapping is reversible).
std::string metadataPropertyName(std::string_view key);

/// The key for a property name made by metadataPropertyName; nullopt if it is not one.
std::optional<std::string> metadataKeyFromProperty(std::string_view localName);

/// Escapes text for XML element content and attribute values.
std::string xmlEscape(std::string_view text);

/// The status code of a "HTTP/1.1 200 OK" status line (0 if unparsable).
int parseStatusLine(std::string_view line);

}  // namespace dms::webdav
