#include "DavClient.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/URI.h>

#include <pthread.h>
#include <algorithm>
#include <csignal>
#include <ctime>
#include <thread>

#include "dms/http/RetryAfter.h"

namespace dms::webdav {
namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr std::size_t kMaxResponseBody = 64 * 1024 * 1024;
constexpr int kMaxRedirects = 5;
constexpr const char* kLogSource = "webdav";

/// Blocks SIGPIPE on this thread while a request runs and swallows one raised by a write to a
/// connection the server closed, then restores the mask. No process-wide handler is installed
/// (the module is a guest in the host's process).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    wasPending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old_);
  }
  ~SigpipeGuard() {
    if (!wasPending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        timespec zero{0, 0};
        while (sigtimedwait(&pipe, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_{};
  bool wasPending_ = false;
};

/// Thrown from the body copy when the caller's content stream fails (not a network problem).
struct ContentError {
  std::string message;
};

/// The stream only says "bad"; the session kept the network error that made it so.
[[noreturn]] void throwSendFailure(Poco::Net::HTTPClientSession& session, const std::string& what) {
  if (const Poco::Exception* cause = session.networkException())
    throw Poco::IOException("connection lost while sending " + what, cause->displayText());
  throw Poco::IOException("connection lost while sending " + what);
}

bool retryableStatus(int status) {
  return status == 408 || status == 423 || status == 429 ||
         (status >= 500 && status != 501 && status != 505 && status != 507 && status != 508);
}

/// The server's Retry-After, read by the parser both HTTP clients share (pauses cap it).
std::optional<std::chrono::milliseconds> retryAfterOf(const Poco::Net::HTTPResponse& response) {
  if (!response.has("Retry-After")) return std::nullopt;
  return dms::http::parseRetryAfter(response.get("Retry-After"));
}

/// A GET response body that keeps its pooled session until the reader is done with it.
class LeasedStream : public std::istream {
 public:
  LeasedStream(SessionPool::Lease lease, std::streambuf* body)
      : std::istream(body), lease_(std::move(lease)) {}
  ~LeasedStream() override {
    // An unread body would corrupt the next response on this connection.
    if (!eof()) lease_.discard();
  }

 private:
  SessionPool::Lease lease_;
};

}  // namespace

std::string DavResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (Poco::icompare(key, std::string(name)) == 0) return value;
  return {};
}

struct DavClient::Attempt {
  std::optional<DavResponse> response;
  std::optional<Poco::Net::HTTPResponse> head;  ///< for challenges and redirects
  std::string transportError;                   ///< set when no answer was obtained
  bool timedOut = false;
  bool final = false;  ///< a transport error that retrying cannot fix
  std::optional<std::string> contentError;
  std::optional<Error> noSession;  ///< no connection became free (stopped, or maxWait passed)
};

DavClient::DavClient(const WebDavOptions& options, Poco::Net::Context::Ptr tlsContext,
                     Logger& logger)
    : options_(options), logger_(logger), pool_(std::make_shared<SessionPool>([&] {
        Poco::URI uri(options.url);
        SessionPool::Settings settings;
        settings.scheme = uri.getScheme();
        settings.host = uri.getHost();
        settings.port = uri.getPort();
        settings.maxSessions = static_cast<std::size_t>(options.concurrency);
        settings.connectTimeout = Poco::Timespan(options.connectTimeoutSeconds, 0);
        settings.ioTimeout = Poco::Timespan(options.timeoutSeconds, 0);
        settings.tlsContext = std::move(tlsContext);
        return settings;
      }())) {
  Poco::URI uri(options.url);
  origin_ = uri.getScheme() + "://" + uri.getAuthority();
  basePath_ = uri.getPathEtc();
  if (basePath_.empty() || basePath_.back() != '/') basePath_ += '/';
}

void DavClient::cancel() noexcept {
  stop_.stop();
}

void DavClient::resume() noexcept {
  stop_.resume();
}

Error DavClient::stoppedError(const std::string& what) {
  return fail(ErrorCode::Cancelled, what + ": stopped while waiting to retry");
}

std::chrono::milliseconds DavClient::backoff(int attempt) const {
  long long delay = options_.retryDelayMs;
  for (int i = 1; i < attempt && delay < 8000; ++i) delay *= 2;
  return std::chrono::milliseconds(std::min<long long>(delay, 8000));
}

void DavClient::applyAuth(Poco::Net::HTTPRequest& request) {
  if (!options_.bearerToken.empty()) {
    request.setCredentials("Bearer", options_.bearerToken);
    return;
  }
  if (options_.username.empty()) return;
  std::lock_guard lock(authMutex_);
  if (scheme_ == AuthScheme::Basic)
    Poco::Net::HTTPBasicCredentials(options_.username, options_.password).authenticate(request);
  else if (scheme_ == AuthScheme::Digest)
    digest_.updateAuthInfo(request);
}

bool DavClient::learnChallenge(const DavRequest& request, const std::string& target,
                               const Poco::Net::HTTPResponse& response) {
  if (options_.username.empty()) return false;
  bool digest = false;
  bool basic = false;
  for (auto it = response.find("WWW-Authenticate"); it != response.end(); ++it) {
    if (Poco::icompare(it->first, "WWW-Authenticate") != 0) break;
    if (Poco::icompare(it->second.substr(0, 6), "digest") == 0) digest = true;
    if (Poco::icompare(it->second.substr(0, 5), "basic") == 0) basic = true;
  }
  std::lock_guard lock(authMutex_);
  try {
    if (digest) {
      // Rebuild the digest state from the (possibly new, e.g. stale) nonce.
      digest_.reset();
      digest_.setUsername(options_.username);
      digest_.setPassword(options_.password);
      Poco::Net::HTTPRequest probe(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
      digest_.authenticate(probe, response);
      scheme_ = AuthScheme::Digest;
      return true;
    }
  } catch (const Poco::Exception& e) {
    logger_.warning(kLogSource, "cannot use the server's Digest challenge: " + e.displayText());
  }
  if (basic) {
    scheme_ = AuthScheme::Basic;
    return true;
  }
  return false;
}

DavClient::Attempt DavClient::attemptOnce(const DavRequest& request, const std::string& target,
                                          bool freshConnection) {
  Attempt attempt;
  SigpipeGuard sigpipe;
  auto leased = pool_->acquire(stop_);
  if (!leased) {
    attempt.noSession = leased.error();
    return attempt;
  }
  SessionPool::Lease& lease = *leased;
  Poco::Net::HTTPClientSession& session = lease.session();
  try {
    // A server may close an idle keep-alive connection at any moment; a body that cannot be
    // sent twice must not be spent on a connection that may already be gone.
    if (freshConnection) session.reset();
    Poco::Net::HTTPRequest http(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    http.setKeepAlive(true);
    for (const auto& [name, value] : request.headers) http.set(name, value);
    applyAuth(http);
    if (request.content != nullptr) {
      if (request.contentLength)
        http.setContentLength64(static_cast<Poco::Int64>(*request.contentLength));
      else
        http.setChunkedTransferEncoding(true);
      http.setContentType("application/octet-stream");
    } else if (!request.body.empty()) {
      http.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
      http.setContentType(request.contentType);
    } else if (request.method == "PUT") {
      http.setContentLength64(0);
    }

    std::ostream& out = session.sendRequest(http);
    // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds
    // the body back until the headers are acknowledged.
    if (session.connected()) session.socket().setNoDelay(true);
    std::uint64_t sent = 0;
    if (request.content != nullptr) {
      std::vector<char> buffer(kBufferSize);
      std::istream& in = *request.content;
      while (true) {
        std::streamsize got = 0;
        try {
          in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
          got = in.gcount();
        } catch (const std::exception& e) {
          throw ContentError{std::string("reading the content failed: ") + e.what()};
        } catch (...) {
          throw ContentError{"reading the content failed"};
        }
        if (in.bad()) throw ContentError{"reading the content failed (stream error)"};
        if (got > 0) {
          if (request.contentLength &&
              sent + static_cast<std::uint64_t>(got) > *request.contentLength)
            throw ContentError{"the content is longer than its announced size"};
          out.write(buffer.data(), got);
          if (!out) throwSendFailure(session, "the body");
          sent += static_cast<std::uint64_t>(got);
        }
        if (in.eof() || got == 0) break;
      }
      if (request.contentLength && sent != *request.contentLength)
        throw ContentError{"the content ended after " + std::to_string(sent) + " of " +
                           std::to_string(*request.contentLength) + " bytes"};
    } else if (!request.body.empty()) {
      out << request.body;
    }
    out.flush();
    if (!out) throwSendFailure(session, "the request");

    Poco::Net::HTTPResponse head;
    std::istream& in = session.receiveResponse(head);
    DavResponse response;
    response.status = static_cast<int>(head.getStatus());
    response.reason = head.getReason();
    response.bytesSent = sent;
    response.retryAfter = retryAfterOf(head);
    for (const auto& [name, value] : head) response.headers.emplace_back(name, value);
    std::vector<char> buffer(kBufferSize);
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      response.body.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
      if (response.body.size() > kMaxResponseBody)
        throw Poco::DataException("the server's answer is larger than 64 MiB");
    }
    if (in.bad()) throw Poco::IOException("connection lost while reading the answer");
    attempt.response = std::move(response);
    attempt.head = std::move(head);
  } catch (const ContentError& e) {
    lease.discard();
    attempt.contentError = e.message;
  } catch (const Poco::TimeoutException& e) {
    lease.discard();
    attempt.transportError = "timed out: " + e.displayText();
    attempt.timedOut = true;
  } catch (const Poco::Net::SSLException& e) {
    // Certificate or handshake failures do not heal by retrying.
    lease.discard();
    attempt.transportError = "TLS: " + e.displayText();
    attempt.final = true;
  } catch (const Poco::Exception& e) {
    lease.discard();
    attempt.transportError = e.displayText();
  } catch (const std::exception& e) {
    lease.discard();
    attempt.transportError = e.what();
  }
  return attempt;
}

Result<DavResponse> DavClient::execute(const DavRequest& request) {
  std::string target = request.target;
  std::streampos start = -1;
  try {
    if (request.content != nullptr) start = request.content->tellg();
  } catch (...) {
    start = -1;  // a stream that throws cannot be rewound either
  }
  const bool rewindable = request.content == nullptr || start != std::streampos(-1);
  const int maxAttempts = 1 + options_.retries;
  int attempts = 0;
  int redirects = 0;
  bool challenged = false;
  bool needRewind = false;
  std::string what = request.method + " " + target;
  std::string lastProblem;  ///< why the request is being repeated

  while (true) {
    if (needRewind && request.content != nullptr) {
      if (!rewindable)
        return fail(ErrorCode::Unavailable,
                    what + " must be repeated (" + lastProblem +
                        ") but its content stream cannot seek back; nothing was stored");
      try {
        request.content->clear();
        request.content->seekg(start);
      } catch (...) {
        request.content->setstate(std::ios::failbit);
      }
      if (!*request.content)
        return fail(ErrorCode::DataLoss, what + ": cannot seek the content back for a retry");
    }
    needRewind = true;
    ++attempts;
    Attempt attempt = attemptOnce(request, target, request.content != nullptr && !rewindable);
    if (attempt.contentError) return fail(ErrorCode::DataLoss, what + ": " + *attempt.contentError);
    if (attempt.noSession)
      return fail(attempt.noSession->code, what + ": " + attempt.noSession->message);

    if (!attempt.response) {
      if (!request.retryTransportErrors || attempt.final || attempts >= maxAttempts) {
        Error error = fail(ErrorCode::Unavailable, what + " to " + origin_ + " failed after " +
                                                       std::to_string(attempts) +
                                                       " attempt(s): " + attempt.transportError);
        return error;
      }
      lastProblem = attempt.transportError;
      auto delay = backoff(attempts);
      logger_.warning(kLogSource, what + " failed (" + attempt.transportError + "), retry " +
                                      std::to_string(attempts) + " in " +
                                      std::to_string(delay.count()) + " ms");
      if (!stop_.sleepFor(delay)) return stoppedError(what);
      continue;
    }

    DavResponse& response = *attempt.response;
    const Poco::Net::HTTPResponse& head = *attempt.head;
    if (response.status == 401 && !challenged && learnChallenge(request, target, head)) {
      // Not counted as an attempt: the first request learns the scheme (and Digest nonce).
      challenged = true;
      --attempts;
      lastProblem = "authentication challenge";
      continue;
    }
    if ((response.status == 301 || response.status == 302 || response.status == 307 ||
         response.status == 308) &&
        head.has("Location")) {
      if (++redirects > kMaxRedirects)
        return fail(ErrorCode::Unavailable, what + ": more than 5 redirects");
      Poco::URI location;
      try {
        location = Poco::URI(Poco::URI(origin_ + target), head.get("Location"));
      } catch (const Poco::Exception& e) {
        return fail(ErrorCode::Unavailable, what + ": bad redirect Location: " + e.displayText());
      }
      const std::string newOrigin = location.getScheme() + "://" + location.getAuthority();
      if (newOrigin != origin_)
        return fail(ErrorCode::PermissionDenied,
                    what + ": redirect to another origin (" + newOrigin +
                        ") refused; credentials are only sent to " + origin_);
      target = location.getPathEtc();
      --attempts;
      lastProblem = "redirected";
      continue;
    }
    // An answer to a body that cannot be sent again is final here; the caller may retry.
    if (retryableStatus(response.status) && attempts < maxAttempts && rewindable) {
      auto delay =
          response.retryAfter ? dms::http::capRetryAfter(*response.retryAfter) : backoff(attempts);
      logger_.warning(kLogSource, what + " answered " + std::to_string(response.status) +
                                      ", retry " + std::to_string(attempts) + " in " +
                                      std::to_string(delay.count()) + " ms");
      if (!stop_.sleepFor(delay)) return stoppedError(what);
      continue;
    }
    return std::move(response);
  }
}

Result<std::unique_ptr<std::istream>> DavClient::openGet(const std::string& target,
                                                         std::string_view what) {
  const int maxAttempts = 1 + options_.retries;
  std::string lastError;
  bool challenged = false;
  for (int attempt = 1; attempt <= maxAttempts; ++attempt) {
    SigpipeGuard sigpipe;
    auto leased = pool_->acquire(stop_);
    if (!leased)
      return fail(leased.error().code, std::string(what) + ": " + leased.error().message);
    SessionPool::Lease& lease = *leased;
    Poco::Net::HTTPResponse head;
    DavResponse response;
    try {
      Poco::Net::HTTPRequest http("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
      http.setKeepAlive(true);
      applyAuth(http);
      lease.session().sendRequest(http);
      std::istream& body = lease.session().receiveResponse(head);
      response.status = static_cast<int>(head.getStatus());
      response.reason = head.getReason();
      response.retryAfter = retryAfterOf(head);
      if (response.status == 200)
        return std::unique_ptr<std::istream>(
            std::make_unique<LeasedStream>(std::move(lease), body.rdbuf()));
      lease.discard();  // error bodies are not read
    } catch (const Poco::Net::SSLException& e) {
      lease.discard();
      return fail(ErrorCode::Unavailable, std::string(what) + ": TLS: " + e.displayText());
    } catch (const Poco::Exception& e) {
      lease.discard();
      lastError = e.displayText();
      if (attempt < maxAttempts && !stop_.sleepFor(backoff(attempt)))
        return stoppedError(std::string(what));
      continue;
    }
    if (response.status == 401 && !challenged) {
      DavRequest probe{"GET", target, {}, {}, {}, nullptr, std::nullopt, true};
      if (learnChallenge(probe, target, head)) {
        challenged = true;
        --attempt;
        continue;
      }
    }
    if (retryableStatus(response.status) && attempt < maxAttempts) {
      if (!stop_.sleepFor(response.retryAfter ? dms::http::capRetryAfter(*response.retryAfter)
                                              : backoff(attempt)))
        return stoppedError(std::string(what));
      continue;
    }
    return errorForStatus(response, what);
  }
  return fail(ErrorCode::Unavailable,
              std::string(what) + ": GET from " + origin_ + " failed: " + lastError);
}

Error DavClient::errorForStatus(const DavResponse& response, std::string_view what) {
  const std::string answer = std::string(what) + ": the server answered " +
                             std::to_string(response.status) +
                             (response.reason.empty() ? "" : " " + response.reason);
  switch (response.status) {
    case 400:
      return fail(ErrorCode::InvalidArgument, answer);
    case 401:
      return fail(ErrorCode::Unauthenticated,
                  answer + " (check the username/password or bearer token)");
    case 403:
      return fail(ErrorCode::PermissionDenied, answer);
    case 404:
    case 410:
      return fail(ErrorCode::NotFound, answer);
    case 405:
    case 501:
      return fail(ErrorCode::NotSupported, answer);
    case 409:
      return fail(ErrorCode::Conflict, answer);
    case 412:
      return fail(ErrorCode::AlreadyExists, answer);
    case 413:
    case 507:
      return fail(ErrorCode::InsufficientStorage, answer);
    case 423:
      return fail(ErrorCode::Locked, answer);
    case 429: {
      Error error = fail(ErrorCode::RateLimited, answer);
      error.retryAfter = response.retryAfter;
      return error;
    }
    default:
      break;
  }
  if (response.status == 408 || response.status >= 500) {
    Error error = fail(ErrorCode::Unavailable, answer);
    error.retryAfter = response.retryAfter;
    return error;
  }
  return fail(ErrorCode::Internal, answer + " (unexpected)");
}

}  // namespace dms::webdav
