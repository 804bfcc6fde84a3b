#pragma once
/// Sends WebDAV requests to the target's origin over pooled keep-alive sessions and handles
/// what every request needs the same way: authentication (Basic, Digest learned from the
/// server's challenge, Bearer), same-origin redirects (method, body and headers kept), retries
/// with exponential backoff (connection errors, timeouts, 5xx, 408, 423, 429 with
/// Retry-After, capped at dms::http::kMaxRetryAfter), and SIGPIPE suppression on the calling
/// thread (no process-wide handler). Every retry pause ends at once on cancel(). Thread-safe.

#include <chrono>
#include <cstdint>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPDigestCredentials.h>

#include "dms/Error.h"
#include "dms/Logger.h"
#include "dms/http/AttemptLoop.h"
#include "dms/http/ConnectionAborter.h"
#include "dms/http/Origin.h"
#include "dms/http/SessionPool.h"
#include "dms/http/StopSignal.h"
#include "dms/webdav/WebDavOptions.h"

namespace dms::webdav {

struct DavRequest {
  std::string method;
  std::string target;  ///< encoded absolute path, e.g. "/dav/Oppdrag%20117/kart.pdf"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  ///< small bodies (XML); sent with Content-Length
  std::string contentType = "application/xml; charset=utf-8";
  /// A streamed body (PUT), read from its current position to the end with a fixed buffer.
  /// Retries and redirects seek back to that position; a stream that cannot seek is sent once.
  std::istream* content = nullptr;
  /// Bytes `content` holds from its position (Content-Length); chunked when unknown.
  std::optional<std::uint64_t> contentLength;
  /// False for requests that must not be repeated blindly after a connection error or timeout
  /// (MOVE): the caller checks the destination first. 5xx/423/429 are still retried.
  bool retryTransportErrors = true;
  /// False for requests carrying the token of a lock the caller holds: a 423 then says the
  /// server did not take the token, and asking again would only get it again. Answered at once.
  bool retryLocked = true;
};

struct DavResponse {
  int status = 0;
  std::string reason;
  std::string body;
  std::optional<std::chrono::milliseconds> retryAfter;
  std::uint64_t bytesSent = 0;  ///< of the streamed content, in the final attempt
  /// Attempts made (redirects and challenges not counted): above 1, an earlier attempt was
  /// answered with a retryable status (5xx, 423, 429) and may still have taken effect.
  int attempts = 1;
  std::vector<std::pair<std::string, std::string>> headers;  ///< response headers

  /// The first header called `name` (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

class DavClient {
 public:
  DavClient(const WebDavOptions& options, Poco::Net::Context::Ptr tlsContext, Logger& logger);

  /// Runs the request with retries. A Result error means no HTTP answer was obtained:
  /// Unavailable (connection/timeout, retries exhausted; message says which), DataLoss (reading
  /// `content` failed or it was shorter than contentLength), PermissionDenied (redirect to
  /// another origin). Any HTTP status, including errors, comes back as a DavResponse.
  Result<DavResponse> execute(const DavRequest& request);

  /// GET streamed: the returned stream holds a pooled session until destroyed.
  /// Errors: mapped from the status (NotFound, ...) or transport errors.
  Result<std::unique_ptr<std::istream>> openGet(const std::string& target, std::string_view what);

  /// Encoded absolute path of the base collection, always ending in '/'.
  const std::string& basePath() const { return basePath_; }
  /// "https://host:port"
  const std::string& origin() const { return origin_; }

  /// The error for a failed HTTP status, by the map both HTTP clients share
  /// (dms::http::errorCodeForStatus: an unknown 4xx is InvalidArgument), the message naming
  /// `what` and the status.
  static Error errorForStatus(const DavResponse& response, std::string_view what);

  dms::http::SessionPool& poolForTest() { return *pool_; }

  /// Ends every retry pause in progress and cuts every connection a request or a get() stream
  /// is waiting on (a server that never answers, or trickles), so each ends at once with
  /// Cancelled (a stream: badbit); requests started later fail with Cancelled before anything
  /// is sent. A connect still runs to its connectTimeout. Thread-safe, noexcept.
  void cancel() noexcept;
  /// Undoes cancel(). Thread-safe.
  void resume() noexcept;
  /// Sleeps `delay` for a caller's own retry; false, at once, when cancel() is called before
  /// or during it.
  bool pause(std::chrono::milliseconds delay) { return stop_.sleepFor(delay); }

 private:
  struct Attempt;
  struct Exchange;
  Attempt attemptOnce(const DavRequest& request, const std::string& target, bool freshConnection);
  /// One try of execute(): rewinds the content, sends, and says what the loop does next.
  dms::http::Step attemptExchange(Exchange& exchange);
  /// Authentication challenges, redirects and retryable statuses of one answer.
  dms::http::Step stepForAnswer(Exchange& exchange, DavResponse response,
                                const Poco::Net::HTTPResponse& head);
  /// Seeks the content back to its start for a repeat (when it was sent before).
  Status rewind(Exchange& exchange);
  dms::http::Step attemptGet(const std::string& target, std::string_view what, bool& challenged,
                             std::unique_ptr<std::istream>& stream);
  void applyAuth(Poco::Net::HTTPRequest& request);
  bool learnChallenge(const DavRequest& request, const std::string& target,
                      const Poco::Net::HTTPResponse& response);
  static Error stoppedError(const std::string& what);

  WebDavOptions options_;
  Logger& logger_;
  std::string origin_;
  std::string basePath_;
  dms::http::Origin poolOrigin_;  ///< what the pool's sessions are keyed by
  std::shared_ptr<dms::http::SessionPool> pool_;
  dms::http::RetryPolicy retry_;
  dms::http::StopSignal stop_;
  /// The connections in use, cut by cancel() and by their deadlines (head, body speed).
  dms::http::ConnectionAborter aborter_;

  enum class AuthScheme { Unknown, Basic, Digest };
  std::mutex authMutex_;
  AuthScheme scheme_ = AuthScheme::Unknown;
  Poco::Net::HTTPDigestCredentials digest_;
  /// The Basic "Authorization" header's value, encoded once (a secret: never logged).
  std::string basicAuthorization_;
};

}  // namespace dms::webdav
