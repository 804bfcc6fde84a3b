#pragma once
/// Path rules of dms::DocumentTarget (see DocumentTarget.h), implemented once for every
/// connector. Typical use at the top of each target method:
///
///   auto path = dms::common::normalisePath(rawPath, dms::common::RootPolicy::Refuse);
///   if (!path) return path.error();      // InvalidArgument: "path 'a/../b': segment '..' ..."
///   auto parts = dms::common::splitPath(*path);   // {"a", "b"}; "" -> {}
///   dms::common::parentPath("a/b/c.pdf") == "a/b";  baseName(...) == "c.pdf"
///   dms::common::quotePath(p)  -> "'a/b'" with control bytes escaped, for messages.
///
/// A valid path: relative, '/'-separated, valid UTF-8, no empty / "." / ".." segment, no
/// NUL, C0/C1 control character, DEL or backslash, no segment that starts with the
/// connectors' reserved bookkeeping prefix ".dms-" (see BookkeepingNames.h). The result is
/// in Unicode NFC, so NFC and NFD spellings of a name reach the same file.

#include <string>
#include <string_view>
#include <vector>

#include "dms/Error.h"

namespace dms::common {

/// Whether "" (the root folder) is an acceptable path for the calling method.
enum class RootPolicy { Allow, Refuse };

/// Checks `path` against the rules above and returns it in NFC.
/// Errors: InvalidArgument naming the path (quoted, control bytes escaped) and the reason.
Result<std::string> normalisePath(std::string_view path, RootPolicy root);

/// Checks a single name (one segment) and returns it in NFC. Errors: InvalidArgument.
Result<std::string> normaliseName(std::string_view name);

/// Segments of an already normalised path; "" gives an empty vector.
std::vector<std::string> splitPath(std::string_view normalisedPath);

/// Joins segments with '/'; an empty vector gives "".
std::string joinPath(const std::vector<std::string>& segments);

/// Joins a folder path ("" = root) and a name.
std::string childPath(std::string_view folder, std::string_view name);

/// Everything before the last '/', or "" for a top-level name.
std::string parentPath(std::string_view normalisedPath);

/// The last segment.
std::string baseName(std::string_view normalisedPath);

/// The path in single quotes for error messages, with bytes < 0x20 and 0x7F written as \xNN
/// so that a hostile path cannot forge log lines.
std::string quotePath(std::string_view path);

}  // namespace dms::common
