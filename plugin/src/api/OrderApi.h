#pragma once
/// The part of the Ambita API the filing engine needs. AmbitaClient implements it against
/// the real service; engine unit tests may use a fake.

#include <cstdint>
#include <filesystem>

#include "api/Model.h"
#include "dms/Error.h"

namespace ambita::api {

class OrderApi {
 public:
  virtual ~OrderApi() = default;

  /// GET /kode/v1/orders/{orderId}. Errors: NotFound (404), Unauthenticated (credentials
  /// refused), Unavailable after retries, InvalidArgument (malformed payload: the message
  /// names the JSON path).
  virtual dms::Result<OrderCollection> getOrder(std::int64_t orderId) = 0;

  /// Streams the asset at `downloadUrl` into `destination` (created or truncated), computing
  /// size and SHA-256 on the way, with fixed-size buffers. A body cut short is retried from
  /// scratch. The bearer token is only sent when the URL's origin is the configured API host.
  /// Errors: NotFound (withdrawn), DataLoss (still cut short after retries), Unavailable,
  /// InsufficientStorage (local disk full), Unauthenticated, Cancelled.
  virtual dms::Result<Download> downloadAsset(const std::string& downloadUrl,
                                              const std::filesystem::path& destination) = 0;
};

}  // namespace ambita::api
