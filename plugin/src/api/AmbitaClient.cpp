#include "api/AmbitaClient.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/URI.h>

#include "api/DownloadBody.h"
#include "api/ModelParser.h"
#include "api/OrderRequest.h"
#include "dms/common/ErrnoMapping.h"
#include "dms/http/AttemptLoop.h"
#include "dms/http/RetryAfter.h"
#include "dms/http/StatusErrors.h"

namespace ambita::api {

using dms::ErrorCode;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kSource = "ambita.client";
/// JSON answers larger than this are refused (a catalogue or an order is a few hundred KB).
constexpr std::size_t kMaxJsonBody = 32 * 1024 * 1024;
/// Error bodies are read up to this size for their message; the rest is not waited for.
constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr int kMaxRedirects = 5;
/// An answer's body (JSON, or an error's message) must come whole within this many read
/// timeouts: readTimeout bounds each wait for the next bytes, this the whole, so a server
/// sending a byte now and then cannot hold a call (and the order, and stop()) for days.
constexpr int kBodyReadTimeouts = 10;

enum class BodyEnd { Complete, TooLarge, TooSlow, Stopped };

/// Reads `body` (dms::http::answerBody) into `out`, at most `limit` bytes, one receive at a
/// time: `stop` and `deadline` are looked at between two receives (`watch` bounds each). Ends
/// at the body's first end. A chunked body cut short throws (dms::http::ChunkedBodyCut).
BodyEnd readBody(std::streambuf& body, std::size_t limit, std::string& out,
                 const dms::http::StopSignal& stop, std::chrono::steady_clock::time_point deadline,
                 const dms::http::ConnectionAborter::Watch& watch) {
  char buf[8192];
  while (true) {
    if (stop.stopped()) return BodyEnd::Stopped;
    if (std::chrono::steady_clock::now() >= deadline) return BodyEnd::TooSlow;
    const dms::http::ConnectionAborter::Watch::Reading reading(watch);
    // sgetc() refills the stream's buffer by one receive (at most); in_avail() is what came.
    if (body.sgetc() == std::char_traits<char>::eof()) return BodyEnd::Complete;
    const std::streamsize n =
        body.sgetn(buf, std::min<std::streamsize>(body.in_avail(), sizeof buf));
    if (out.size() + static_cast<std::size_t>(n) > limit) return BodyEnd::TooLarge;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool isCertificateProblem(const Poco::Exception& e) {
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&e) ||
      dynamic_cast<const Poco::Net::InvalidCertificateException*>(&e))
    return true;
  const std::string text = e.displayText();
  return text.find("certificate") != std::string::npos;
}

bool isTlsProblem(const Poco::Exception& e) {
  return dynamic_cast<const Poco::Net::SSLException*>(&e) != nullptr;
}

/// A transport failure in words: what, against where, and why.
std::string describeFailure(const Poco::Exception& e, const Origin& origin) {
  const std::string where = origin.host + ":" + std::to_string(origin.port);
  if (isCertificateProblem(e))
    return "certificate verify failed for host " + origin.host + " (" + where +
           "): " + e.displayText();
  if (isTlsProblem(e)) return "TLS error with " + where + ": " + e.displayText();
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e))
    return "connection refused by " + where;
  if (dynamic_cast<const Poco::TimeoutException*>(&e))
    return "timed out talking to " + where + " (" + e.displayText() + ")";
  if (dynamic_cast<const Poco::Net::NoMessageException*>(&e))
    return "connection to " + where + " closed without an answer";
  if (dynamic_cast<const Poco::Net::HostNotFoundException*>(&e) ||
      dynamic_cast<const Poco::Net::NoAddressFoundException*>(&e))
    return "host not found: " + origin.host;
  return "network error with " + where + ": " + e.displayText();
}

/// A reused keep-alive connection that failed before any answer, other than by a timeout: the
/// server had closed it while idle. Worth one immediate retry on a new connection.
bool isStale(const Poco::Exception& e, const dms::http::SessionPool::Lease& lease, bool answered) {
  return lease.reused() && !answered && dynamic_cast<const Poco::TimeoutException*>(&e) == nullptr;
}

/// The server said it did not take the request: safe to send again even for a create.
bool refusedStatus(int status) {
  return status == 408 || status == 423 || status == 429 || status == 503;
}

std::string statusText(int status) {
  return std::to_string(status) + " " +
         Poco::Net::HTTPResponse::getReasonForStatus(
             static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

/// One TLS context per origin, from the configured CA file (or the system's) and verification.
dms::Result<Poco::Net::Context::Ptr> tlsContextFor(const std::string& caFile,
                                                   TlsVerification verification,
                                                   const Origin& origin) {
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = verification == TlsVerification::Strict
                                  ? Poco::Net::Context::VERIFY_STRICT
                                  : Poco::Net::Context::VERIFY_RELAXED;
    params.caLocation = caFile;
    params.loadDefaultCAs = caFile.empty();
    params.verificationDepth = 9;
    return Poco::makeAuto<Poco::Net::Context>(Poco::Net::Context::TLS_CLIENT_USE, params);
  } catch (const Poco::Exception& e) {
    return dms::fail(ErrorCode::InvalidArgument,
                     "cannot set up TLS for " + origin.str() +
                         (caFile.empty() ? "" : " with CA file '" + caFile + "'") + ": " +
                         e.displayText());
  }
}

dms::http::SessionPool::Settings sessionSettings(const ClientOptions& options) {
  dms::http::SessionPool::Settings settings;
  settings.connectTimeout = options.connectTimeout;
  settings.ioTimeout = options.readTimeout;
  settings.maxPerOrigin = static_cast<std::size_t>(std::max(options.maxConnectionsPerOrigin, 1));
  settings.maxWait = options.maxWait;
  settings.tlsContext = [caFile = options.caFile,
                         verification = options.tlsVerification](const Origin& origin) {
    return tlsContextFor(caFile, verification, origin);
  };
  return settings;
}

}  // namespace

struct AmbitaClient::Call {
  std::string method;
  std::string pathAndQuery;  ///< relative to baseUrl, e.g. "/kode/v1/orders/1"
  std::string body;
  std::string contentType;
  bool auth = true;
  bool idempotent = true;
  bool tokenEndpoint = false;
  /// 404, 405 and 501 mean "no such endpoint here" (NotSupported), not a missing resource.
  bool optionalEndpoint = false;
  /// Said in the ambiguity error of a non-idempotent call: what to check before retrying.
  std::string ambiguityHint;
  std::string what() const { return method + " " + pathAndQuery.substr(0, pathAndQuery.find('?')); }
};

AmbitaClient::AmbitaClient(ClientOptions options, dms::Logger* logger)
    : options_(std::move(options)),
      logger_(logger),
      retry_(
          std::make_unique<RetryPolicy>(RetrySettings{options_.maxAttempts, options_.initialBackoff,
                                                      options_.maxBackoff, options_.maxRetryTime})),
      pool_(dms::http::SessionPool::create(sessionSettings(options_))),
      tokens_(
          options_, [this](const TokenManager::Form& f) { return fetchToken(f); }, logger),
      connections_("ambita.readTimeoutSeconds") {
  try {
    auto origin = Origin::of(Poco::URI(options_.baseUrl));
    if (origin) {
      baseOrigin_ = *origin;
    } else {
      baseError_ = "ambita.baseUrl: " + origin.error().message;
    }
  } catch (const Poco::Exception& e) {
    baseError_ = "ambita.baseUrl: not a URL: " + e.message();
  }
  while (!options_.baseUrl.empty() && options_.baseUrl.back() == '/') options_.baseUrl.pop_back();
}

AmbitaClient::~AmbitaClient() {
  cancel();
}

void AmbitaClient::cancel() noexcept {
  stop_.stop();
  // After the stop: a request being sent now sees one or the other. A receive waiting on a
  // server that never answers, or trickles, ends now instead of at its read timeout.
  connections_.abortAll();
}

void AmbitaClient::resume() noexcept {
  stop_.resume();
}

void AmbitaClient::setRetryPolicyForTest(RetryPolicy::Clock clock, std::uint64_t seed) {
  retry_ = std::make_unique<RetryPolicy>(retry_->settings(), std::move(clock), seed);
}

std::string AmbitaClient::redact(std::string text) const {
  std::vector<std::string> secrets = tokens_.secrets();
  secrets.push_back(options_.clientSecret);
  secrets.push_back(options_.password);
  for (const auto& s : secrets) {
    // Very short "secrets" would mangle ordinary words; they are not worth hiding anyway.
    if (s.size() < 4) continue;
    for (std::size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos))
      text.replace(pos, s.size(), "***");
  }
  return text;
}

dms::Error AmbitaClient::error(ErrorCode code, const std::string& message) const {
  return dms::fail(code, redact(message));
}

dms::Error AmbitaClient::cancelledError(const std::string& what) const {
  return dms::fail(ErrorCode::Cancelled, what + ": stopped");
}

std::chrono::steady_clock::time_point AmbitaClient::bodyDeadline() const {
  return std::chrono::steady_clock::now() + kBodyReadTimeouts * options_.readTimeout;
}

std::string AmbitaClient::slowBodyMessage() const {
  const auto limit = kBodyReadTimeouts * options_.readTimeout;
  return "the answer's body did not come whole within " +
         (limit.count() % 1000 == 0 ? std::to_string(limit.count() / 1000) + " s"
                                    : std::to_string(limit.count()) + " ms") +
         " (" + std::to_string(kBodyReadTimeouts) + " x ambita.readTimeoutSeconds)";
}

dms::Result<AmbitaClient::Reply> AmbitaClient::execute(const Call& call) {
  if (!baseOrigin_) return dms::fail(ErrorCode::InvalidArgument, baseError_);
  const std::string target = Poco::URI(options_.baseUrl).getPath() + call.pathAndQuery;
  CallState state;
  dms::http::AttemptLoop loop(*retry_, stop_, &counters_);
  const dms::Status outcome =
      loop.run([&](int) { return attemptCall(call, target, state); },
               [&](const dms::Error& failure, milliseconds delay, int) {
                 if (logger_)
                   logger_->warning(kSource, redact(failure.message) + "; retrying in " +
                                                 std::to_string(delay.count()) + " ms");
               });
  if (outcome) return std::move(*state.reply);
  return endError(loop, outcome.error(), call.what());
}

dms::Error AmbitaClient::endError(const dms::http::AttemptLoop& loop, dms::Error failure,
                                  const std::string& what) const {
  switch (loop.end()) {
    case dms::http::AttemptLoop::End::Stopped:
      return cancelledError(what);
    case dms::http::AttemptLoop::End::GaveUp:
      failure.message += " (gave up after " + std::to_string(loop.failures()) + " attempt" +
                         (loop.failures() == 1 ? "" : "s") + ")";
      break;
    case dms::http::AttemptLoop::End::Spinning:
      failure.message = what + ": " + failure.message;
      break;
    default:
      break;
  }
  failure.message = redact(failure.message);
  return failure;
}

dms::http::Step AmbitaClient::attemptCall(const Call& call, const std::string& target,
                                          CallState& state) {
  using dms::http::Step;
  if (cancelled()) return Step::finalFailure(cancelledError(call.what()));
  std::string token;
  if (call.auth) {
    auto t = tokens_.accessToken([this] { return cancelled(); });
    if (!t)
      return Step::finalFailure(error(t.error().code, call.what() + ": " + t.error().message));
    token = *t;
  }
  // A call that must not be repeated gets its own new connection: a stale keep-alive
  // connection would otherwise turn into an ambiguous failure.
  auto lease = pool_->acquire(*baseOrigin_, !call.idempotent, stop_);
  if (!lease)
    return Step::finalFailure(
        error(lease.error().code, call.what() + ": " + lease.error().message));
  bool sent = false;
  bool answered = false;
  dms::http::ConnectionAborter::Watch watch;  // after the lease: released before it closes
  try {
    Poco::Net::HTTPRequest req(call.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("User-Agent", options_.userAgent);
    req.set("Accept", "application/json");
    if (call.auth) req.set("Authorization", "Bearer " + token);
    if (call.method == Poco::Net::HTTPRequest::HTTP_POST ||
        call.method == Poco::Net::HTTPRequest::HTTP_PUT) {
      req.setContentType(call.contentType);
      req.setContentLength64(static_cast<Poco::Int64>(call.body.size()));
    }
    std::ostream& os = lease->session().sendRequest(req);
    watch = connections_.watch(*lease, stop_);
    os.write(call.body.data(), static_cast<std::streamsize>(call.body.size()));
    os.flush();
    if (!os.good()) throw Poco::IOException("sending the request body failed");
    // From here on the server may have acted on the request.
    sent = true;
    Poco::Net::HTTPResponse resp;
    watch.awaitHead();
    std::istream& is = lease->session().receiveResponse(resp);
    watch.throwIfExpired();
    watch.awaitBody();
    answered = true;
    counters_.answered(resp.getStatus());
    Reply reply{resp.getStatus(), {}};
    const bool ok2xx = reply.status >= 200 && reply.status < 300;
    std::optional<dms::http::ChunkedBody> chunked;
    BodyEnd end =
        readBody(dms::http::answerBody(resp, is, *lease, chunked),
                 ok2xx ? kMaxJsonBody : kMaxErrorBody, reply.body, stop_, bodyDeadline(), watch);
    // A connection cut by cancel() or the watchdog ends its body early, as if it were whole.
    if (watch.aborted()) end = BodyEnd::Stopped;
    watch.throwIfExpired();
    if (end == BodyEnd::TooSlow || end == BodyEnd::Stopped)
      throw Poco::TimeoutException(end == BodyEnd::Stopped ? "stopped while reading the answer"
                                                           : slowBodyMessage());
    if (end == BodyEnd::TooLarge) {
      lease->discard();
      if (ok2xx)
        return Step::finalFailure(
            error(ErrorCode::Internal,
                  call.what() + ": answer larger than " + std::to_string(kMaxJsonBody) + " bytes"));
    }
    if (!resp.getKeepAlive()) lease->discard();
    if (logger_) logger_->debug(kSource, call.what() + " -> " + std::to_string(reply.status));
    if (ok2xx) {
      state.reply = std::move(reply);
      return Step::done();
    }
    return stepForStatus(call, resp, reply.body, token, state);
  } catch (const Poco::Exception& caught) {
    lease->discard();
    // After the watchdog's cut, whatever Poco made of it is the timeout.
    const Poco::TimeoutException tooSlow(watch.expiredBecause());
    const Poco::Exception& e = watch.expired() ? tooSlow : caught;
    // A create whose answer stop() cut short may have been made: it is ambiguous (below).
    if (cancelled() && (call.idempotent || !sent))
      return Step::finalFailure(cancelledError(call.what()));
    const std::string why = describeFailure(e, *baseOrigin_);
    if (isTlsProblem(e))
      return Step::finalFailure(error(ErrorCode::Unavailable, call.what() + ": " + why));
    if (sent && !call.idempotent)
      return Step::finalFailure(
          error(ErrorCode::Conflict, call.what() + ": the request was sent but no answer came (" +
                                         why + "), so " + call.ambiguityHint));
    if (isStale(e, *lease, answered) && !state.staleRetried) {
      // A pooled connection the server had already closed: try once more on a new one.
      state.staleRetried = true;
      if (logger_) logger_->debug(kSource, call.what() + ": stale connection, reconnecting");
      return Step::repeat();
    }
    return Step::failure(dms::fail(ErrorCode::Unavailable, call.what() + ": " + why));
  }
}

dms::http::Step AmbitaClient::stepForStatus(const Call& call,
                                            const Poco::Net::HTTPResponse& response,
                                            const std::string& body, const std::string& token,
                                            CallState& state) {
  using dms::http::Step;
  const int status = response.getStatus();
  if (call.optionalEndpoint && (status == 404 || status == 405 || status == 501))
    return Step::finalFailure(
        error(ErrorCode::NotSupported,
              call.what() + ": Ambita answered " + statusText(status) + " (endpoint not offered)"));
  // The token expired or was revoked under us: renew and send again (a 401 means the request
  // was not acted upon, so this is safe for a create too).
  if (status == 401 && call.auth && renewAfter401(token, state.tokenRenewals))
    return Step::repeat();
  const std::string summary = ModelParser::errorSummary(body);
  const std::string message = call.what() + ": Ambita answered " + statusText(status) +
                              (summary.empty() ? std::string() : " (" + summary + ")");
  if (call.tokenEndpoint && (status == 400 || status == 401))
    return Step::finalFailure(
        error(ErrorCode::Unauthenticated, "token request refused: " + statusText(status) +
                                              (summary.empty() ? "" : " (" + summary + ")")));
  const ErrorCode code = dms::http::errorCodeForStatus(status);
  if (!dms::http::isRetryableStatus(status)) return Step::finalFailure(error(code, message));
  if (!call.idempotent && !refusedStatus(status))
    return Step::finalFailure(error(
        ErrorCode::Conflict, message + "; the request reached Ambita, so " + call.ambiguityHint));
  dms::Error failure = dms::fail(code, message);
  failure.retryAfter = dms::http::parseRetryAfter(response.get("Retry-After", ""));
  return Step::failure(failure);
}

dms::Status AmbitaClient::fetchAnswer(
    const Call& call, const std::function<dms::Status(const std::string& body)>& read) {
  dms::http::AttemptLoop loop(*retry_, stop_, &counters_);
  const dms::Status outcome = loop.run(
      [&](int) {
        auto reply = execute(call);
        if (!reply) return dms::http::Step::finalFailure(reply.error());
        const dms::Status readable = read(reply->body);
        if (readable) return dms::http::Step::done();
        dms::Error e = error(ErrorCode::InvalidArgument,
                             call.what() + ": unreadable answer: " + readable.error().message);
        // A garbled answer to a read is worth asking again; to a create it is not (see
        // createOrder).
        return call.idempotent ? dms::http::Step::failure(e) : dms::http::Step::finalFailure(e);
      },
      [&](const dms::Error& failure, milliseconds delay, int) {
        if (logger_)
          logger_->warning(kSource, failure.message + "; asking again in " +
                                        std::to_string(delay.count()) + " ms");
      });
  if (outcome) return {};
  if (loop.end() == dms::http::AttemptLoop::End::Stopped) return cancelledError(call.what());
  return outcome.error();
}

dms::Result<Poco::Dynamic::Var> AmbitaClient::fetchJson(const Call& call) {
  std::optional<Poco::Dynamic::Var> parsed;
  auto fetched = fetchAnswer(call, [&](const std::string& body) -> dms::Status {
    auto json = ModelParser::parseJson(body);
    if (!json) return json.error();
    parsed = std::move(*json);
    return {};
  });
  if (!fetched) return fetched.error();
  return std::move(*parsed);
}

dms::Result<TokenResponse> AmbitaClient::fetchToken(const TokenManager::Form& form) {
  Poco::Net::HTMLForm html;
  for (const auto& [k, v] : form) html.set(k, v);
  std::ostringstream body;
  html.write(body);
  Call call;
  call.method = Poco::Net::HTTPRequest::HTTP_POST;
  call.pathAndQuery = "/authentication/v2/token";
  call.body = body.str();
  call.contentType = "application/x-www-form-urlencoded";
  call.auth = false;
  call.tokenEndpoint = true;
  auto json = fetchJson(call);
  if (!json) return json.error();
  auto t = ModelParser::token(*json);
  if (!t) return error(t.error().code, t.error().message);
  return t;
}

dms::Result<std::vector<Product>> AmbitaClient::products(const std::string& municipality) {
  static const std::regex kMunicipality(R"(^\d{4}$)");
  if (!std::regex_match(municipality, kMunicipality))
    return dms::fail(
        ErrorCode::InvalidArgument,
        "municipality: expected a 4-digit kommunenummer (e.g. 0301), got '" + municipality + "'");
  Call call;
  call.method = Poco::Net::HTTPRequest::HTTP_GET;
  call.pathAndQuery = "/kode/v1/products?municipality=" + municipality;
  auto json = fetchJson(call);
  if (!json) return json.error();
  auto products = ModelParser::products(*json);
  if (!products) return error(products.error().code, call.what() + ": " + products.error().message);
  return products;
}

dms::Result<OrderCollection> AmbitaClient::getOrder(std::int64_t orderId) {
  if (orderId <= 0)
    return dms::fail(ErrorCode::InvalidArgument,
                     "order id: expected a positive number, got " + std::to_string(orderId));
  Call call;
  call.method = Poco::Net::HTTPRequest::HTTP_GET;
  call.pathAndQuery = "/kode/v1/orders/" + std::to_string(orderId);
  // Read straight from the text into the model (no JSON tree): the re-sync's main cost.
  std::optional<dms::Result<OrderCollection>> order;
  auto fetched = fetchAnswer(call, [&](const std::string& body) -> dms::Status {
    auto answer = ModelParser::orderCollectionFromText(body);
    if (answer.malformed) return answer.value.error();
    order = std::move(answer.value);
    return {};
  });
  if (!fetched) {
    if (fetched.error().code == ErrorCode::NotFound)
      return error(ErrorCode::NotFound,
                   "order " + std::to_string(orderId) + " not found: " + fetched.error().message);
    return fetched.error();
  }
  if (!*order) return error(order->error().code, call.what() + ": " + order->error().message);
  return std::move(*order);
}

dms::Result<OrderCollection> AmbitaClient::createOrder(const NewOrder& order) {
  auto body = OrderRequest::body(order);
  if (!body) return body.error();
  if (order.reference.empty()) return dms::fail(ErrorCode::InvalidArgument, "reference: required");
  Call call;
  call.method = Poco::Net::HTTPRequest::HTTP_POST;
  call.pathAndQuery = "/kode/v1/orders/" + OrderRequest::kindName(order.kind);
  call.body = *body;
  call.contentType = "application/json";
  call.idempotent = false;
  call.ambiguityHint =
      "the order may or may not have been created: check Ambita for orders with reference '" +
      order.reference + "' before ordering again (not retried, to avoid ordering twice)";
  auto reply = execute(call);
  if (!reply) return reply.error();
  auto created = ModelParser::orderCollectionFromText(reply->body).value;
  if (!created)
    return error(ErrorCode::Conflict, call.what() + ": Ambita accepted the order (" +
                                          std::to_string(reply->status) +
                                          ") but its answer is unreadable (" +
                                          created.error().message + "); " + call.ambiguityHint);
  if (logger_)
    logger_->info(kSource, "order " + std::to_string(created->id) + " created (reference '" +
                               order.reference + "')");
  return created;
}

dms::Result<Poco::Dynamic::Var> AmbitaClient::prices(const NewOrder& order) {
  NewOrder priceRequest = order;
  priceRequest.deliveryInfoJson.clear();
  auto body = OrderRequest::body(priceRequest);
  if (!body) return body.error();
  // The same body as the order, less what only an order has (reference, delivery).
  auto json = ModelParser::parseJson(*body);
  if (!json) return json.error();
  Poco::JSON::Object::Ptr object = json->extract<Poco::JSON::Object::Ptr>();
  object->remove("reference");
  object->remove("technicalReference");
  std::ostringstream text;
  object->stringify(text);
  Call call;
  call.method = Poco::Net::HTTPRequest::HTTP_POST;
  call.pathAndQuery = "/kode/v1/prices/" + OrderRequest::kindName(order.kind);
  call.body = text.str();
  call.contentType = "application/json";
  call.optionalEndpoint = true;
  return fetchJson(call);
}

dms::Result<Download> AmbitaClient::streamAsset(const std::string& downloadUrl,
                                                const BodyConsumer& consume) {
  Poco::URI uri;
  try {
    uri = Poco::URI(downloadUrl);
  } catch (const Poco::Exception& e) {
    return dms::fail(ErrorCode::InvalidArgument, "download URL is not a URL: " + e.message());
  }
  if (auto o = Origin::of(uri); !o)
    return dms::fail(ErrorCode::InvalidArgument, "download: " + o.error().message);
  DownloadState state;
  state.uri = uri;
  state.consume = &consume;
  dms::http::AttemptLoop loop(*retry_, stop_, &counters_);
  const dms::Status outcome =
      loop.run([&](int) { return attemptDownload(state); },
               [&](const dms::Error& failure, milliseconds delay, int) {
                 if (logger_)
                   logger_->warning(kSource, redact(failure.message) +
                                                 "; downloading again from scratch in " +
                                                 std::to_string(delay.count()) + " ms");
               });
  if (outcome) return *state.result;
  return endError(loop, outcome.error(), "download " + redactedUrl(state.uri));
}

dms::http::Step AmbitaClient::attemptDownload(DownloadState& state) {
  using dms::http::Step;
  const Origin origin = *Origin::of(state.uri);
  const std::string what = "download " + redactedUrl(state.uri);
  if (cancelled()) return Step::finalFailure(cancelledError(what));
  // The bearer token goes to the configured API origin only, never to another host (a
  // storage service or a redirect target must not see it).
  const bool withToken = baseOrigin_ && origin == *baseOrigin_;
  std::string token;
  if (withToken) {
    auto t = tokens_.accessToken([this] { return cancelled(); });
    if (!t) return Step::finalFailure(error(t.error().code, what + ": " + t.error().message));
    token = *t;
  }
  auto lease = pool_->acquire(origin, false, stop_);
  if (!lease)
    return Step::finalFailure(error(lease.error().code, what + ": " + lease.error().message));
  // The token was taken before the wait for a connection (a renewal needs a connection too).
  // If another call met a 401 with it meanwhile, it is known to be refused: take the current
  // one rather than spend this call's single renewal on it (a few times at most).
  if (withToken && !tokens_.isCurrent(token) && state.tokenRefreshedWhileWaiting < 3) {
    ++state.tokenRefreshedWhileWaiting;
    return Step::repeat();
  }
  bool answered = false;
  dms::http::ConnectionAborter::Watch watch;  // after the lease: released before it closes
  try {
    std::string target = state.uri.getPathAndQuery();
    if (target.empty()) target = "/";
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, target,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("User-Agent", options_.userAgent);
    if (withToken) req.set("Authorization", "Bearer " + token);
    lease->session().sendRequest(req);
    watch = connections_.watch(*lease, stop_);
    Poco::Net::HTTPResponse resp;
    watch.awaitHead();
    std::istream& is = lease->session().receiveResponse(resp);
    watch.throwIfExpired();
    watch.awaitBody();
    answered = true;
    counters_.answered(resp.getStatus());
    std::optional<dms::http::ChunkedBody> chunked;
    std::streambuf& body = dms::http::answerBody(resp, is, *lease, chunked);
    if (resp.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) {
      Step step = streamBody(resp, body, chunked, *lease, watch, what, state);
      // A body cut by cancel() or the watchdog is no file; one read whole before the cut stays
      // done.
      if ((watch.aborted() || watch.expired()) && step.kind() != Step::Kind::Done) {
        lease->discard();
        if (watch.aborted()) return Step::finalFailure(cancelledError(what));
        watch.throwIfExpired();
      }
      return step;
    }
    std::string message;
    BodyEnd end = readBody(body, kMaxErrorBody, message, stop_, bodyDeadline(), watch);
    if (watch.aborted()) end = BodyEnd::Stopped;
    watch.throwIfExpired();
    if (end != BodyEnd::Complete || !resp.getKeepAlive()) lease->discard();
    if (end == BodyEnd::Stopped) return Step::finalFailure(cancelledError(what));
    // A message that came too slowly is cut short; the status says what happened.
    return stepForDownloadStatus(resp, message, withToken ? token : std::string(), what, state);
  } catch (const Poco::Exception& caught) {
    lease->discard();
    if (watch.aborted()) return Step::finalFailure(cancelledError(what));
    // After the watchdog's cut, whatever Poco made of it is the timeout.
    const Poco::TimeoutException tooSlow(watch.expiredBecause());
    const Poco::Exception& e = watch.expired() ? tooSlow : caught;
    const std::string why = describeFailure(e, origin);
    if (isTlsProblem(e) && isCertificateProblem(e))
      return Step::finalFailure(error(ErrorCode::Unavailable, what + ": " + why));
    if (isStale(e, *lease, answered) && !state.staleRetried) {
      state.staleRetried = true;
      if (logger_) logger_->debug(kSource, what + ": stale connection, reconnecting");
      return Step::repeat();
    }
    return Step::failure(dms::fail(ErrorCode::Unavailable, what + ": " + why));
  }
}

bool AmbitaClient::renewAfter401(const std::string& rejected, int& renewals) {
  if (renewals >= kMaxTokenRenewalsPerCall) return false;
  ++renewals;
  tokens_.invalidate(rejected);
  return true;
}

dms::http::Step AmbitaClient::stepForDownloadStatus(const Poco::Net::HTTPResponse& response,
                                                    const std::string& body,
                                                    const std::string& token,
                                                    const std::string& what, DownloadState& state) {
  using dms::http::Step;
  const int status = response.getStatus();
  const bool redirect =
      status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  if (redirect && response.has("Location")) {
    if (++state.redirects > kMaxRedirects)
      return Step::finalFailure(
          error(ErrorCode::Unavailable,
                what + ": more than " + std::to_string(kMaxRedirects) + " redirects"));
    state.uri = Poco::URI(state.uri, response.get("Location"));
    if (auto o = Origin::of(state.uri); !o)
      return Step::finalFailure(
          error(ErrorCode::Unavailable, what + ": bad redirect: " + o.error().message));
    return Step::repeat();
  }
  if (status == 401 && !token.empty() && renewAfter401(token, state.tokenRenewals))
    return Step::repeat();
  const std::string summary = ModelParser::errorSummary(body);
  const std::string message = what + ": server answered " + statusText(status) +
                              (summary.empty() ? std::string() : " (" + summary + ")");
  if (status == 404 || status == 410)
    return Step::finalFailure(
        error(ErrorCode::NotFound, message + "; the file was withdrawn or never existed"));
  const ErrorCode code = dms::http::errorCodeForStatus(status);
  if (!dms::http::isRetryableStatus(status)) return Step::finalFailure(error(code, message));
  dms::Error failure = dms::fail(code, message);
  failure.retryAfter = dms::http::parseRetryAfter(response.get("Retry-After", ""));
  return Step::failure(failure);
}

dms::http::Step AmbitaClient::streamBody(const Poco::Net::HTTPResponse& response,
                                         std::streambuf& body,
                                         const std::optional<dms::http::ChunkedBody>& chunked,
                                         dms::http::SessionPool::Lease& lease,
                                         const dms::http::ConnectionAborter::Watch& watch,
                                         const std::string& what, DownloadState& state) {
  using dms::http::Step;
  // Not a chunked body's (dms::http::contentLength): its chunks say where it ends.
  const std::optional<std::uint64_t> length = dms::http::contentLength(response);
  const bool hasLength = length.has_value();
  const std::uint64_t expected = length.value_or(0);
  if (hasLength && expected > options_.maxDownloadBytes) {
    lease.discard();
    return Step::finalFailure(error(ErrorCode::InvalidArgument,
                                    what + ": the file has " + std::to_string(expected) +
                                        " bytes, more than ambita.maxDownloadMiB allows (" +
                                        std::to_string(options_.maxDownloadBytes >> 20) + " MiB)"));
  }
  DownloadBody::ReadSome source;
  if (hasLength) {
    // Straight from the connection, at most the declared length: one receive call fills the
    // whole buffer (Poco's body stream would refill 4 KiB at a time).
    source = [&lease, &watch, left = expected](char* into, std::size_t size) mutable {
      if (left == 0) return std::size_t{0};
      const dms::http::ConnectionAborter::Watch::Reading reading(watch);
      const int n = lease.receiveBody(
          into, static_cast<std::streamsize>(std::min<std::uint64_t>(left, size)));
      const auto got = n > 0 ? static_cast<std::size_t>(n) : std::size_t{0};
      left -= got;
      return got;
    };
  } else {
    // A chunked body (decoded strictly: a cut one throws, failing the attempt as a broken
    // connection does), or one ended by the connection's close (Poco's stream). A short read
    // means its end: Poco's stream does not stay at its end.
    source = [&body, &watch, ended = false](char* into, std::size_t size) mutable -> std::size_t {
      if (ended) return 0;
      const dms::http::ConnectionAborter::Watch::Reading reading(watch);
      const auto n = body.sgetn(into, static_cast<std::streamsize>(size));
      if (n < static_cast<std::streamsize>(size)) ended = true;
      return n > 0 ? static_cast<std::size_t>(n) : 0;
    };
  }
  // No buffer of our own: the consumer's read()s receive straight into theirs.
  DownloadBody content(
      std::move(source), {}, {length, options_.maxDownloadBytes},
      // A body the watchdog cut ends like one cancel() cut: failed, never whole.
      [this, &watch] { return cancelled() || watch.expired(); }, what, sha256(), hashAsideShared());
  const dms::Status consumed = (*state.consume)(content);
  if (!content.complete()) lease.discard();
  // A broken connection is handled as any failure of the attempt (stale, timeout, TLS).
  if (content.brokenBy()) std::rethrow_exception(content.brokenBy());
  if (const auto& failure = content.failure()) {
    if (failure->code == ErrorCode::DataLoss) return Step::failure(*failure);
    return Step::finalFailure(error(failure->code, failure->message));
  }
  if (!consumed) return Step::finalFailure(consumed.error());
  auto downloaded = content.result();
  if (!downloaded) return Step::finalFailure(downloaded.error());
  // A chunked body read to its last chunk leaves the connection at the next answer.
  const bool wholeChunked = chunked && chunked->complete();
  if (!response.getKeepAlive() || (!hasLength && !wholeChunked)) lease.discard();
  // Only a body ended by the connection's close (no Content-Length, not chunked) cannot be
  // told from one cut short: a chunked one cut short failed above.
  if (!hasLength && !chunked && logger_)
    logger_->warning(kSource, what + ": no Content-Length; completeness of the " +
                                  std::to_string(downloaded->size) + " bytes cannot be checked");
  if (logger_) logger_->debug(kSource, what + ": " + std::to_string(downloaded->size) + " bytes");
  state.result = std::move(*downloaded);
  return Step::done();
}

}  // namespace ambita::api
