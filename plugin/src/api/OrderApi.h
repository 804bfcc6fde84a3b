#pragma once
/// The part of the Ambita API the filing engine needs. AmbitaClient implements it against
/// the real service; engine unit tests may use a fake.

#include <cstdint>
#include <filesystem>
#include <functional>

#include <Poco/Crypto/OpenSSLInitializer.h>

#include "api/DownloadBody.h"
#include "api/Model.h"
#include "dms/Error.h"

namespace ambita::api {

class OrderApi {
 public:
  OrderApi() = default;
  OrderApi(const OrderApi&) = delete;  // a copied initializer would release OpenSSL twice
  OrderApi& operator=(const OrderApi&) = delete;
  virtual ~OrderApi() = default;

  /// GET /kode/v1/orders/{orderId}. Errors: NotFound (404), Unauthenticated (credentials
  /// refused), Unavailable after retries, InvalidArgument (malformed payload: the message
  /// names the JSON path).
  virtual dms::Result<OrderCollection> getOrder(std::int64_t orderId) = 0;

  /// Consumes one attempt's body (reads it to its end, e.g. a target's put); returns its own
  /// error when it fails for a reason of its own (then the download ends with that error, not
  /// retried). A body that fails (cut short, too large, connection broken) makes the attempt
  /// fail whatever the consumer returns; a cut-short or broken body is retried from scratch:
  /// the consumer is called again with a new body, so it must leave nothing of a failed one.
  using BodyConsumer = std::function<dms::Status(DownloadBody& body)>;

  /// Streams the asset at `downloadUrl` into `consume`, computing size and SHA-256 on the way
  /// (DownloadBody). The bearer token is only sent when the URL's origin is the configured API
  /// host. Returns size and SHA-256 of the body the consumer read to its end.
  /// Errors: NotFound (withdrawn), DataLoss (still cut short after retries), Unavailable,
  /// InvalidArgument (larger than ambita.maxDownloadMiB), Unauthenticated, Cancelled, or the
  /// consumer's own error.
  virtual dms::Result<Download> streamAsset(const std::string& downloadUrl,
                                            const BodyConsumer& consume) = 0;

  /// streamAsset into `destination` (created or truncated once the body starts; removed again,
  /// if a regular file, when the download fails). `destination` may be /dev/null.
  /// Errors: those of streamAsset, InsufficientStorage (local disk full).
  dms::Result<Download> downloadAsset(const std::string& downloadUrl,
                                      const std::filesystem::path& destination);

 protected:
  /// For the DownloadBody of every download: the implementation is looked up once, here.
  const Sha256Method& sha256() const { return sha256_; }

 private:
  /// Keeps OpenSSL initialised for the whole life of every implementation, real or fake.
  /// A short-lived Poco::Crypto object (the downloads' SHA-256 engine was one) otherwise
  /// initialises and tears down OpenSSL's process-wide state, and two download threads racing
  /// on that crash the process (seen as SIGSEGV, and as a TSan data race, in
  /// OpenSSLInitializer::uninitialize). A base class member: constructed before any
  /// implementation's own members can start a download.
  Poco::Crypto::OpenSSLInitializer openSsl_;
  Sha256Method sha256_;
};

}  // namespace ambita::api
