#pragma once
/// The one map from an HTTP status that is not a success to an error kind, used by both HTTP
/// clients (the Ambita API client and the WebDAV connector), so one answer means the same to
/// the filing engine whichever server gave it.

#include "dms/Error.h"

namespace dms::http {

/// 400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404/410 NotFound,
/// 405/501 NotSupported, 409 Conflict, 412 AlreadyExists, 413/507 InsufficientStorage,
/// 423 Locked, 429 RateLimited, 408 and other 5xx Unavailable.
/// Any other 4xx is InvalidArgument: the server refused the request as it was sent, and sending
/// it again unchanged cannot succeed (the message carries the status for a human). Anything
/// else (an unexpected 1xx or 3xx) is Internal.
ErrorCode errorCodeForStatus(int status);

}  // namespace dms::http
