#pragma once
/// Rules for metadata keys and values (DocumentTarget.h: keys [A-Za-z0-9._-]+, values UTF-8):
///
///   if (auto ok = dms::common::validateMetadata(metadata, path); !ok) return ok.error();
///
/// Keys are 1..kMaxMetadataKeyBytes bytes so that "user.dms.<key>" fits an xattr name and a
/// key maps to an XML name / JSON member without escaping surprises. Values must be valid
/// UTF-8 without NUL (NUL cannot travel through XML or many xattr tools).

#include <cstddef>
#include <string_view>

#include "dms/DocumentTarget.h"
#include "dms/Error.h"

namespace dms::common {

inline constexpr std::size_t kMaxMetadataKeyBytes = 128;

/// Errors: InvalidArgument naming the key (and the file path, for context).
Status validateMetadataKey(std::string_view key, std::string_view path);

/// Every key and value. Errors: InvalidArgument naming the offending key.
Status validateMetadata(const Metadata& metadata, std::string_view path);

}  // namespace dms::common
