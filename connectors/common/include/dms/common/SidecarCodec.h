#pragma once
/// The one format of metadata sidecars (".dms-meta-<name>.json", BookkeepingNames.h), written
/// and read by every connector that keeps metadata beside the file (filesystem in sidecar mode,
/// WebDAV on servers without dead properties), so each reads the other's:
///
///   {"version": 1, "metadata": {"key": "value", ...}}
///
/// decodeSidecar also reads the flat object ({"key": "value", ...}) that the WebDAV connector
/// wrote before this format was shared, so archives filed by older versions stay readable.

#include <string>
#include <string_view>

#include "dms/DocumentTarget.h"
#include "dms/Error.h"

namespace dms::common {

/// The sidecar's bytes for `metadata` (UTF-8 JSON, one trailing newline).
std::string encodeSidecar(const Metadata& metadata);

/// The metadata in a sidecar's bytes. Errors: DataLoss naming `where` (the sidecar's path) and
/// what is wrong, when the text is not a sidecar (not JSON, an unknown version, a non-string
/// value).
Result<Metadata> decodeSidecar(std::string_view text, std::string_view where);

}  // namespace dms::common
