#pragma once
/// errno -> dms::ErrorCode, one table for every connector that touches a filesystem:
///
///   if (::mkdirat(fd, name, 0777) != 0)
///     return dms::common::errnoError(errno, "cannot create folder", path);
///   // -> "PermissionDenied: cannot create folder 'a/b': Permission denied"
///
/// ENOENT NotFound; EEXIST AlreadyExists; ENOTDIR, EISDIR, ENOTEMPTY, EXDEV Conflict;
/// EACCES, EPERM, EROFS PermissionDenied; ENOSPC, EDQUOT, EFBIG InsufficientStorage;
/// ELOOP, ENAMETOOLONG, EINVAL InvalidArgument; EBUSY, ETXTBSY Locked; ENOTSUP/EOPNOTSUPP
/// NotSupported; EIO, EAGAIN, EINTR, ETIMEDOUT, ESTALE, ENOMEM, ENOTCONN, ECONNRESET
/// Unavailable; anything else Internal.

#include <string>
#include <string_view>

#include "dms/Error.h"

namespace dms::common {

/// The error kind for an errno value.
ErrorCode errorCodeForErrno(int error);

/// "<action> <quoted path>: <system message>" with the kind from errorCodeForErrno.
/// `path` is the caller's relative path (never the absolute root, which is configuration).
Error errnoError(int error, std::string_view action, std::string_view path);

}  // namespace dms::common
