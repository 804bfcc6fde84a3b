#include "dms/common/ErrnoMapping.h"

#include <cerrno>
#include <system_error>

#include "dms/common/PathRules.h"

namespace dms::common {

ErrorCode errorCodeForErrno(int error) {
  switch (error) {
    case ENOENT:
      return ErrorCode::NotFound;
    case EEXIST:
      return ErrorCode::AlreadyExists;
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
    case EXDEV:
      return ErrorCode::Conflict;
    case EACCES:
    case EPERM:
    case EROFS:
      return ErrorCode::PermissionDenied;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return ErrorCode::InsufficientStorage;
    case ELOOP:
    case ENAMETOOLONG:
    case EINVAL:
      return ErrorCode::InvalidArgument;
    case EBUSY:
    case ETXTBSY:
      return ErrorCode::Locked;
    case ENOTSUP:
      return ErrorCode::NotSupported;
    case EIO:
    case EAGAIN:
    case EINTR:
    case ETIMEDOUT:
    case ESTALE:
    case ENOMEM:
    case ENOTCONN:
    case ECONNRESET:
      return ErrorCode::Unavailable;
    default:
      return ErrorCode::Internal;
  }
}

Error errnoError(int error, std::string_view action, std::string_view path) {
  // std::error_code::message is thread-safe, unlike strerror.
  return fail(errorCodeForErrno(error),
              std::string(action) + " " + quotePath(path) + ": " +
                  std::error_code(error, std::generic_category()).message());
}

}  // namespace dms::common
