#include "dms/http/StatusErrors.h"

namespace dms::http {

ErrorCode errorCodeForStatus(int status) {
  switch (status) {
    case 400:
      return ErrorCode::InvalidArgument;
    case 401:
      return ErrorCode::Unauthenticated;
    case 403:
      return ErrorCode::PermissionDenied;
    case 404:
    case 410:
      return ErrorCode::NotFound;
    case 405:
    case 501:
      return ErrorCode::NotSupported;
    case 409:
      return ErrorCode::Conflict;
    case 412:
      return ErrorCode::AlreadyExists;
    case 413:
    case 507:
      return ErrorCode::InsufficientStorage;
    case 423:
      return ErrorCode::Locked;
    case 429:
      return ErrorCode::RateLimited;
    case 408:
      return ErrorCode::Unavailable;
    default:
      break;
  }
  if (status >= 500 && status <= 599) return ErrorCode::Unavailable;
  if (status >= 400 && status <= 499) return ErrorCode::InvalidArgument;
  return ErrorCode::Internal;
}

}  // namespace dms::http
