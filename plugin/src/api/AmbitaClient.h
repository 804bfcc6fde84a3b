#pragma once
/// The Ambita kode/v1 API client: products, create order, get order, asset download, over
/// keep-alive HTTP(S) sessions with token handling and bounded retries.
///
/// Thread-safe: one client serves every thread of the plugin (one token, one session pool,
/// concurrency per host bounded by ClientOptions::maxConnectionsPerOrigin). Never throws.
/// cancel() makes calls in flight return Cancelled at once: backoff sleeps and waits for a
/// connection end, and the connections in use are cut (http::ConnectionAborter, as the WebDAV
/// connector does), so a server that never answers or trickles holds nobody. Without a stop,
/// readTimeout bounds each receive, an answer's head as a whole, and the body's speed (at least
/// 1 KiB per readTimeout, ConnectionAborter's watchdog; the call fails as timed out); a JSON
/// answer's body must also come whole within 10 x readTimeout.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "api/ClientOptions.h"
#include "api/Model.h"
#include "api/OrderApi.h"
#include "api/Origin.h"
#include "api/RetryPolicy.h"
#include "api/TokenManager.h"
#include "dms/Error.h"
#include "dms/Logger.h"
#include "dms/http/AttemptLoop.h"
#include "dms/http/ChunkedBody.h"
#include "dms/http/ConnectionAborter.h"
#include "dms/http/SessionPool.h"
#include "dms/http/StopSignal.h"

namespace ambita::api {

class AmbitaClient : public OrderApi {
 public:
  /// `options` as returned by parseClientOptions (baseUrl must be a valid http(s) URL;
  /// otherwise every call fails with InvalidArgument). `logger` may be null (tests); it must
  /// outlive the client. Starts no thread and opens no connection (the first call starts the
  /// watchdog of its deadlines, one thread, which cancel() and the destructor end).
  AmbitaClient(ClientOptions options, dms::Logger* logger);
  ~AmbitaClient() override;
  AmbitaClient(const AmbitaClient&) = delete;
  AmbitaClient& operator=(const AmbitaClient&) = delete;

  /// GET /kode/v1/products?municipality=NNNN. InvalidArgument unless NNNN is 4 digits or when
  /// Ambita refuses it (400, message included); Unauthenticated; Unavailable after retries.
  dms::Result<std::vector<Product>> products(const std::string& municipality);

  /// POST /kode/v1/orders/{kind}; returns the new order collection (status NEW).
  /// Never repeated once the request may have reached Ambita: if the request was sent and no
  /// usable answer came back (connection dropped, timeout, 500/502/504, unreadable answer), the
  /// error is Conflict saying the order may or may not have been created and must be checked
  /// before ordering again. Retried only when Ambita cannot have taken it: connection refused,
  /// 401 (token renewed), 429 and 503 (the server refused the request).
  /// Errors otherwise: InvalidArgument (validation or Ambita's 400 message), Unauthenticated.
  dms::Result<OrderCollection> createOrder(const NewOrder& order);

  /// POST /kode/v1/prices/{kind} with the order's orderData and products (no reference or
  /// delivery information): the price before ordering. Ambita never published the answer's
  /// shape, so it is returned as parsed JSON for the caller to read liberally. NotSupported when
  /// Ambita answers 404, 405 or 501 (no price endpoint there: use the product list's price).
  /// A read: retried like one.
  dms::Result<Poco::Dynamic::Var> prices(const NewOrder& order);

  // OrderApi
  /// See OrderApi. A garbled (unparsable) answer is asked for again like a 5xx.
  dms::Result<OrderCollection> getOrder(std::int64_t orderId) override;
  /// See OrderApi. A body with a Content-Length is received from the connection straight into
  /// the consumer's read() buffer (SessionPool::Lease::receiveBody: one receive call per
  /// buffer, not per 4 KiB of Poco's stream; no copy, no buffer of our own); follows up to 5
  /// redirects, sending the token only to the configured API origin; checks the size against
  /// Content-Length (a body without one is accepted as is, with a warning in the log); refuses a
  /// file larger than ClientOptions::maxDownloadBytes (InvalidArgument, not retried), by its
  /// Content-Length before the consumer is called, or while streaming.
  dms::Result<Download> streamAsset(const std::string& downloadUrl,
                                    const BodyConsumer& consume) override;

  /// Makes calls in flight and future calls return Cancelled (plugin stop()). Thread-safe.
  void cancel() noexcept;
  /// Undoes cancel() (a plugin started again). Thread-safe.
  void resume() noexcept;
  bool cancelled() const noexcept { return stop_.stopped(); }

  const ClientOptions& options() const { return options_; }

  /// Replaces every known secret (client secret, password, current tokens) in `text` by "***".
  std::string redact(std::string text) const;

  TokenManager& tokensForTest() { return tokens_; }
  dms::http::SessionPool& poolForTest() { return *pool_; }
  /// Replaces the retry clock/random source (tests with fixed schedules).
  void setRetryPolicyForTest(RetryPolicy::Clock clock, std::uint64_t seed);
  /// Which downloads are hashed on a thread of their own (tests take that path with small
  /// bodies). Not while downloads run.
  void setHashAsideForTest(HashAside aside) { hashAside_ = aside; }

  /// Every answer received (API calls, token requests, downloads) by status class, and every
  /// retry: the plugin's metrics read them (ambita_api_responses_total, ambita_api_retries_total).
  const dms::http::CallCounters& callCounters() const { return counters_; }

 private:
  struct Call;
  struct Reply {
    int status = 0;
    std::string body;
  };
  /// What the attempts of one call share: the reply once there is one, and the one-time
  /// recoveries (token renewed, stale connection replaced) already used.
  struct CallState {
    std::optional<Reply> reply;
    int tokenRenewals = 0;  ///< 401s answered by renewing the token (renewAfter401)
    bool staleRetried = false;
  };
  dms::Result<Reply> execute(const Call& call);
  dms::http::Step attemptCall(const Call& call, const std::string& target, CallState& state);
  dms::http::Step stepForStatus(const Call& call, const Poco::Net::HTTPResponse& response,
                                const std::string& body, const std::string& token,
                                CallState& state);
  /// What the attempts of one download share: where it is now (after redirects), the
  /// consumer, the buffer, the one-time recoveries used, and the result once there is one.
  struct DownloadState {
    Poco::URI uri;
    const BodyConsumer* consume = nullptr;
    int redirects = 0;
    int tokenRenewals = 0;  ///< 401s answered by renewing the token (renewAfter401)
    bool staleRetried = false;
    int tokenRefreshedWhileWaiting = 0;  ///< repeats because the token went stale in the pool wait
    std::optional<Download> result;
  };
  dms::http::Step attemptDownload(DownloadState& state);
  /// A 401 to `rejected`: true (and the token forgotten, so the next attempt renews) while the
  /// call has renewals left. A call renews at most kMaxTokenRenewalsPerCall times: a token can
  /// expire again while a slow call (a big download on a busy machine) waits for its resend,
  /// but credentials the API keeps refusing must end the call rather than loop.
  bool renewAfter401(const std::string& rejected, int& renewals);
  static constexpr int kMaxTokenRenewalsPerCall = 3;
  /// `token`: the one sent (empty when none was).
  dms::http::Step stepForDownloadStatus(const Poco::Net::HTTPResponse& response,
                                        const std::string& body, const std::string& token,
                                        const std::string& what, DownloadState& state);
  /// Hands a 200 answer's body to state.consume, hashing it on the way. `body`: from
  /// dms::http::answerBody (`chunked` holds the chunked one).
  dms::http::Step streamBody(const Poco::Net::HTTPResponse& response, std::streambuf& body,
                             const std::optional<dms::http::ChunkedBody>& chunked,
                             dms::http::SessionPool::Lease& lease,
                             const dms::http::ConnectionAborter::Watch& watch,
                             const std::string& what, DownloadState& state);
  /// The error a call ends with, by how its attempt loop ended (stopped, gave up, ...).
  dms::Error endError(const dms::http::AttemptLoop& loop, dms::Error failure,
                      const std::string& what) const;
  dms::Result<Poco::Dynamic::Var> fetchJson(const Call& call);
  /// Runs `call` and hands the answer's body to `read`, which returns an error only when the
  /// body is malformed JSON: a garbled answer to a read is asked again (not to a create).
  dms::Status fetchAnswer(const Call& call,
                          const std::function<dms::Status(const std::string& body)>& read);
  dms::Result<TokenResponse> fetchToken(const TokenManager::Form& form);
  dms::Error error(dms::ErrorCode code, const std::string& message) const;
  dms::Error cancelledError(const std::string& what) const;
  /// When the body of an answer starting now must have come whole (kBodyReadTimeouts read
  /// timeouts), and the words for one that did not.
  std::chrono::steady_clock::time_point bodyDeadline() const;
  std::string slowBodyMessage() const;

  ClientOptions options_;
  dms::Logger* logger_;
  std::optional<Origin> baseOrigin_;
  std::string baseError_;
  std::unique_ptr<RetryPolicy> retry_;
  std::shared_ptr<dms::http::SessionPool> pool_;
  TokenManager tokens_;
  /// cancel()/resume(); every retry sleep waits on it.
  dms::http::StopSignal stop_;
  /// The connections in use, cut by cancel() and by their deadlines (head, body speed).
  dms::http::ConnectionAborter connections_;
  dms::http::CallCounters counters_;
  HashAside hashAside_;
  /// Bodies hashed aside now, capped by HashAside::mostAtOnce (see there).
  std::atomic<int> bodiesHashedAside_{0};
  HashAside hashAsideShared() {
    HashAside aside = hashAside_;
    aside.running = &bodiesHashedAside_;
    return aside;
  }
};

}  // namespace ambita::api
