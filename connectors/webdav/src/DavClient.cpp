#include "DavClient.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <pthread.h>
#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstring>
#include <ctime>
#include <thread>

#include "dms/http/AttemptLoop.h"
#include "dms/http/ChunkedBody.h"
#include "dms/http/RetryAfter.h"
#include "dms/http/StatusErrors.h"

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

/// Thrown when an answer's body exceeds kMaxResponseBody: not retried (the same server would
/// send as much again, attempt after attempt).
struct AnswerTooLarge {
  std::string message;
};

/// The stream only says "bad"; the session kept the network error that made it so.
[[noreturn]] void throwSendFailure(Poco::Net::HTTPClientSession& session, const std::string& what) {
  if (const Poco::Exception* cause = session.networkException())
    throw Poco::IOException("connection lost while sending " + what, cause->displayText());
  throw Poco::IOException("connection lost while sending " + what);
}

/// The retry schedule of one client: 1 + `retries` attempts, `retryDelayMs` doubling up to
/// 8 s (no jitter), and no call retried once an hour has passed since it began.
dms::http::RetrySettings retrySettings(const WebDavOptions& options) {
  dms::http::RetrySettings settings;
  settings.maxAttempts = 1 + options.retries;
  settings.initialBackoff = std::chrono::milliseconds(options.retryDelayMs);
  settings.maxBackoff = std::chrono::milliseconds(8000);
  settings.maxTotal = std::chrono::hours(1);
  settings.jitter = false;
  return settings;
}

/// The server's Retry-After, read by the parser both HTTP clients share (pauses cap it).
std::optional<std::chrono::milliseconds> retryAfterOf(const Poco::Net::HTTPResponse& response) {
  if (!response.has("Retry-After")) return std::nullopt;
  return dms::http::parseRetryAfter(response.get("Retry-After"));
}

/// Writes `data` straight to the connection, in as few calls as the kernel takes: through the
/// request stream it would go out in 4 KiB pieces (Poco's HTTP buffer), one system call each
/// (issue 15 row 2: ~32 sends for a 130 KB file). Once the request head went out; a chunked
/// body's framing is the caller's (frameChunk).
/// A send that times out is tried again while `watch`'s watchdog enforces the low-speed limit:
/// the kernel wakes a blocked sender only once half its buffer is free, so a server taking a
/// big upload slowly (above the limit) would fail a send that merely waited long.
void sendDirect(Poco::Net::HTTPClientSession& session, const char* data, std::size_t size,
                const dms::http::ConnectionAborter::Watch& watch) {
  for (std::size_t done = 0; done < size;) {
    int sent = 0;
    try {
      sent = session.socket().sendBytes(data + done, static_cast<int>(size - done));
    } catch (const Poco::TimeoutException&) {
      if (!watch.deadlinesWatched() || watch.expired() || watch.aborted()) throw;
      continue;  // the watchdog cuts the connection when the server is below the limit
    }
    if (sent <= 0) throw Poco::IOException("connection lost while sending the body");
    done += static_cast<std::size_t>(sent);
  }
}

/// Waits until the connection is ready for `mode` (Socket::SELECT_READ: the answer has come;
/// SELECT_WRITE: a send goes at once) for as long as `watch`'s watchdog enforces its deadlines:
/// a wait past the socket's timeout, which a server taking an upload slowly (above the limit)
/// may need, is the watchdog's to end (a cut makes the socket ready; the caller's next send or
/// receive then fails and it reads expired()). One poll when the connection is ready at once;
/// without a watchdog none (Poco's timeouts as before).
void awaitReady(Poco::Net::HTTPClientSession& session,
                const dms::http::ConnectionAborter::Watch& watch, int mode) {
  if (!watch.deadlinesWatched() || !session.connected()) return;
  const Poco::Timespan slice = session.getTimeout();
  while (!session.socket().poll(slice, mode | Poco::Net::Socket::SELECT_ERROR)) {
    if (watch.expired() || watch.aborted() || !watch.deadlinesWatched()) return;
  }
}

/// Room before a chunk's data for its size line: up to 16 hex digits and CRLF.
constexpr std::size_t kChunkSizeRoom = 18;

/// Frames the `size` bytes at `data` as one chunk (RFC 9112 7.1) in place: its size line goes
/// into the kChunkSizeRoom bytes before `data`, its CRLF into the 2 after. Returns where the
/// chunk starts; it ends 2 bytes past the data.
char* frameChunk(char* data, std::size_t size) {
  char line[kChunkSizeRoom];
  char* end = std::to_chars(line, line + sizeof line - 2, size, 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  char* start = data - (end - line);
  std::memcpy(start, line, static_cast<std::size_t>(end - line));
  std::memcpy(data + size, "\r\n", 2);
  return start;
}

/// Ends a chunked body with its last chunk ("0" and the empty line): Poco's request stream
/// sends it as it closes (flushRequest), in one send that is not tried again, so first the
/// kernel's buffer must have room for it (awaitReady, as sendDirect would wait).
void sendLastChunk(Poco::Net::HTTPClientSession& session,
                   const dms::http::ConnectionAborter::Watch& watch) {
  const dms::http::ConnectionAborter::Watch::Sending sending(watch);
  awaitReady(session, watch, Poco::Net::Socket::SELECT_WRITE);
  session.flushRequest();  // rethrows what its send met
}

/// Sends the request's body (streamed content or the small body) after its headers, to the
/// request's end; returns the bytes of streamed content sent. Streamed content goes straight
/// to the connection (sendDirect), framed in chunks here when its length is unknown. The time
/// spent in sends counts against `watch`'s low-speed limit (a server that stops reading is
/// cut; the caller checks expired() after). `out` (the request stream) is not to be used
/// after. Throws ContentError when the content stream fails or does not match its announced
/// size, Poco::IOException when the connection is lost.
std::uint64_t sendBody(Poco::Net::HTTPClientSession& session, std::ostream& out,
                       const DavRequest& request,
                       const dms::http::ConnectionAborter::Watch& watch) {
  using Sending = dms::http::ConnectionAborter::Watch::Sending;
  {
    const Sending sending(watch);
    if (request.content == nullptr && !request.body.empty()) out << request.body;
    out.flush();  // the request head (a chunked request's went out with it), the small body
    if (!out) throwSendFailure(session, "the request");
  }
  std::uint64_t sent = 0;
  if (request.content == nullptr) return sent;
  const bool chunked = !request.contentLength;
  // Not zeroed: every byte sent is written into it first (read from the content or framed).
  const auto buffer = std::make_unique_for_overwrite<char[]>(kChunkSizeRoom + kBufferSize + 2);
  char* const data = buffer.get() + kChunkSizeRoom;
  std::istream& in = *request.content;
  while (true) {
    std::streamsize got = 0;
    try {
      in.read(data, static_cast<std::streamsize>(kBufferSize));
      got = in.gcount();
    } catch (const std::exception& e) {
      throw ContentError{std::string("reading the content failed: ") + e.what()};
    } catch (...) {
      throw ContentError{"reading the content failed"};
    }
    if (in.bad()) throw ContentError{"reading the content failed (stream error)"};
    if (got > 0) {
      const auto size = static_cast<std::size_t>(got);
      if (request.contentLength && sent + size > *request.contentLength)
        throw ContentError{"the content is longer than its announced size"};
      const Sending sending(watch);
      if (chunked) {
        const char* chunk = frameChunk(data, size);
        sendDirect(session, chunk, static_cast<std::size_t>(data + size + 2 - chunk), watch);
      } else {
        sendDirect(session, data, size, watch);
      }
      sent += size;
    }
    if (in.eof() || got == 0) break;
  }
  if (request.contentLength && sent != *request.contentLength)
    throw ContentError{"the content ended after " + std::to_string(sent) + " of " +
                       std::to_string(*request.contentLength) + " bytes"};
  if (chunked) sendLastChunk(session, watch);
  return sent;
}

/// Reads the answer: status, headers and the whole (bounded) body, within `watch`'s deadlines
/// (the caller called awaitHead() and checks expired() after). Throws Poco exceptions.
DavResponse receiveAnswer(dms::http::SessionPool::Lease& lease, Poco::Net::HTTPResponse& head,
                          dms::http::ConnectionAborter::Watch& watch) {
  std::istream& received = lease.session().receiveResponse(head);
  watch.awaitBody();
  // A chunked body is read strictly: one cut short fails (badbit, then thrown below).
  std::optional<dms::http::ChunkedBody> chunked;
  std::istream in(&dms::http::answerBody(head, received, lease, chunked));
  DavResponse response;
  response.status = static_cast<int>(head.getStatus());
  response.reason = head.getReason();
  response.retryAfter = retryAfterOf(head);
  for (const auto& [name, value] : head) response.headers.emplace_back(name, value);
  // Not zeroed: most answers are a few hundred bytes, and every request has one.
  const auto buffer = std::make_unique_for_overwrite<char[]>(kBufferSize);
  while (in) {
    {
      const dms::http::ConnectionAborter::Watch::Reading reading(watch);
      in.read(buffer.get(), static_cast<std::streamsize>(kBufferSize));
    }
    response.body.append(buffer.get(), static_cast<std::size_t>(in.gcount()));
    if (response.body.size() > kMaxResponseBody)
      throw AnswerTooLarge{"the server's answer is larger than 64 MiB"};
  }
  if (in.bad() && chunked && !chunked->complete())
    throw Poco::IOException("connection lost while reading the answer: " + chunked->failure());
  if (in.bad()) throw Poco::IOException("connection lost while reading the answer");
  // Poco's body stream ends quietly when the connection closes early: a cut answer would
  // pass for the whole one. (A chunked one's length is its chunks'.)
  const std::optional<std::uint64_t> length = dms::http::contentLength(head);
  if (length && response.status != 204 && response.status != 304 && response.body.size() < *length)
    throw Poco::IOException("the server closed the connection after " +
                            std::to_string(response.body.size()) + " of the " +
                            std::to_string(*length) + " bytes its answer announced");
  return response;
}

/// A GET response body (dms::http::answerBody), failing where Poco's stream would end quietly:
/// the connection closed before the announced Content-Length, a chunked body cut short (logged)
/// or malformed, or cut by cancel() or by the
/// watchdog (the body came too slowly; logged, the reader only sees badbit). A reader must
/// never take a cut file for the whole one. A failure, and any exception of Poco's (a timeout),
/// sets badbit on the reading stream and ends it: nothing is thrown into the reader, which may
/// be in another module.
class CheckedBody final : public std::streambuf {
 public:
  CheckedBody(std::streambuf* body, std::optional<std::uint64_t> length,
              const dms::http::ConnectionAborter::Watch& watch, std::string what, Logger& logger)
      : body_(body),
        length_(length),
        watch_(watch),
        what_(std::move(what)),
        logger_(logger),
        buffer_(kBufferSize) {}
  void setReader(std::istream* reader) { reader_ = reader; }
  /// The body was read to its end, whole (a reader through istreambuf_iterator sets no eof).
  bool ended() const { return ended_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    std::streamsize got = 0;
    try {
      const dms::http::ConnectionAborter::Watch::Reading reading(watch_);
      got = body_->sgetn(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    } catch (const dms::http::ChunkedBodyCut& e) {
      logger_.warning(kLogSource, what_ + ": " + e.message());
      return failed();
    } catch (...) {
      return failed();
    }
    // A cut body's last bytes are no more to be trusted than its end.
    if (watch_.expired()) return failed();
    if (got <= 0) {
      if (watch_.aborted() || (length_ && read_ < *length_)) return failed();
      ended_ = true;
      return traits_type::eof();
    }
    read_ += static_cast<std::uint64_t>(got);
    setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
    return traits_type::to_int_type(*gptr());
  }

 private:
  int_type failed() {
    if (watch_.expired() && !reported_) {
      reported_ = true;
      logger_.warning(kLogSource, what_ + ": timed out: " + watch_.expiredBecause());
    }
    if (reader_ != nullptr) reader_->setstate(std::ios::badbit);
    return traits_type::eof();
  }

  std::streambuf* body_;
  std::optional<std::uint64_t> length_;
  const dms::http::ConnectionAborter::Watch& watch_;
  const std::string what_;
  Logger& logger_;
  bool reported_ = false;
  bool ended_ = false;
  std::vector<char> buffer_;
  std::uint64_t read_ = 0;
  std::istream* reader_ = nullptr;
};

/// A GET response body that keeps its pooled session until the reader is done with it (and
/// its connection watched, so cancel() ends a read the server holds up).
class LeasedStream : public std::istream {
 public:
  /// `received`: Poco's body stream for `head`, read unless the body is chunked.
  LeasedStream(dms::http::SessionPool::Lease lease, dms::http::ConnectionAborter::Watch watch,
               const Poco::Net::HTTPResponse& head, std::istream& received,
               std::optional<std::uint64_t> length, std::string what, Logger& logger)
      : std::istream(nullptr),
        lease_(std::move(lease)),
        watch_(std::move(watch)),
        body_(&dms::http::answerBody(head, received, lease_, chunked_), length, watch_,
              std::move(what), logger) {
    rdbuf(&body_);
    body_.setReader(this);
  }
  ~LeasedStream() override {
    // An unread body would corrupt the next response on this connection; after a failure (a
    // timeout, a cut) its state is unknown.
    if (!body_.ended() || bad() || watch_.aborted() || watch_.expired()) lease_.discard();
  }

 private:
  dms::http::SessionPool::Lease lease_;
  dms::http::ConnectionAborter::Watch watch_;      ///< after the lease: released before it closes
  std::optional<dms::http::ChunkedBody> chunked_;  ///< reads from the lease's session
  CheckedBody body_;
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
    : options_(options),
      logger_(logger),
      retry_(retrySettings(options)),
      aborter_("readTimeoutSeconds") {
  if (!options.username.empty() && options.bearerToken.empty()) {
    Poco::Net::HTTPRequest encoded;
    Poco::Net::HTTPBasicCredentials(options.username, options.password).authenticate(encoded);
    basicAuthorization_ = encoded.get(Poco::Net::HTTPRequest::AUTHORIZATION);
  }
  Poco::URI uri(options.url);
  origin_ = uri.getScheme() + "://" + uri.getAuthority();
  basePath_ = uri.getPathEtc();
  if (basePath_.empty() || basePath_.back() != '/') basePath_ += '/';
  poolOrigin_ = {Poco::toLower(uri.getScheme()), Poco::toLower(uri.getHost()), uri.getPort()};
  dms::http::SessionPool::Settings settings;
  settings.maxPerOrigin = static_cast<std::size_t>(options.concurrency);
  settings.connectTimeout = std::chrono::seconds(options.connectTimeoutSeconds);
  settings.ioTimeout = std::chrono::seconds(options.timeoutSeconds);
  // Reconnect rather than reuse a connection idle for longer than this: servers close idle
  // keep-alive connections (Apache after 5 s by default), and a body that cannot be rewound
  // must not be sent into a connection that is already gone.
  settings.keepAliveTimeout = std::chrono::seconds(4);
  settings.tlsContext =
      [tlsContext](const dms::http::Origin& origin) -> Result<Poco::Net::Context::Ptr> {
    // Made for an https target only (WebDavTarget::create); no request leaves its origin.
    if (tlsContext.isNull()) return fail(ErrorCode::Internal, "no TLS set up for " + origin.str());
    return tlsContext;
  };
  pool_ = dms::http::SessionPool::create(std::move(settings));
}

void DavClient::cancel() noexcept {
  stop_.stop();
  aborter_.abortAll();  // after the stop: a request being sent now sees one or the other
}

void DavClient::resume() noexcept {
  stop_.resume();
}

Error DavClient::stoppedError(const std::string& what) {
  return fail(ErrorCode::Cancelled, what + ": stopped while waiting to retry");
}

void DavClient::applyAuth(Poco::Net::HTTPRequest& request) {
  if (!options_.bearerToken.empty()) {
    request.setCredentials("Bearer", options_.bearerToken);
    return;
  }
  if (options_.username.empty()) return;
  std::lock_guard lock(authMutex_);
  if (scheme_ == AuthScheme::Basic)
    request.set(Poco::Net::HTTPRequest::AUTHORIZATION, basicAuthorization_);
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
  if (stop_.stopped()) {
    attempt.noSession = fail(ErrorCode::Cancelled, "stopped before sending");
    return attempt;
  }
  SigpipeGuard sigpipe;
  // A server may close an idle keep-alive connection at any moment; a body that cannot be
  // sent twice must not be spent on a connection that may already be gone (fresh).
  auto leased = pool_->acquire(poolOrigin_, freshConnection, stop_);
  if (!leased) {
    attempt.noSession = leased.error();
    return attempt;
  }
  dms::http::SessionPool::Lease& lease = *leased;
  Poco::Net::HTTPClientSession& session = lease.session();
  dms::http::ConnectionAborter::Watch watch;  // after the lease: released before it closes
  try {
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
    watch = aborter_.watch(lease, stop_);
    // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds
    // the body back until the headers are acknowledged.
    if (session.connected()) session.socket().setNoDelay(true);
    const std::uint64_t sent = sendBody(session, out, request, watch);

    watch.awaitHead();
    // The last send of an upload only put its tail into the kernel's buffers, which a server
    // reading slowly (above the limit) may take longer than one read timeout to empty before
    // it answers, and Poco's receive timeout would fail it: the answer is awaited under the
    // watchdog's rules instead (the low-speed limit while the server still takes the request,
    // then the head's deadline). One poll per upload.
    if (request.content != nullptr) awaitReady(session, watch, Poco::Net::Socket::SELECT_READ);
    Poco::Net::HTTPResponse head;
    DavResponse response = receiveAnswer(lease, head, watch);
    response.bytesSent = sent;
    attempt.response = std::move(response);
    attempt.head = std::move(head);
  } catch (const ContentError& e) {
    lease.discard();
    attempt.contentError = e.message;
  } catch (const AnswerTooLarge& e) {
    lease.discard();
    attempt.transportError = e.message;
    attempt.final = true;
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
  if (watch.aborted()) {
    // Whatever was read after the cut is not the server's answer.
    lease.discard();
    attempt = Attempt{};
    attempt.noSession = fail(ErrorCode::Cancelled, "stopped while waiting for the server");
  } else if (watch.expired()) {
    // The watchdog's cut (the answer came too slowly) is a timeout, whatever Poco made of it.
    lease.discard();
    attempt = Attempt{};
    attempt.transportError = "timed out: " + watch.expiredBecause();
    attempt.timedOut = true;
  }
  return attempt;
}

/// What the attempts of one execute() share.
struct DavClient::Exchange {
  explicit Exchange(const DavRequest& r)
      : request(r), target(r.target), what(r.method + " " + r.target) {}
  const DavRequest& request;
  std::string target;  ///< changes with same-origin redirects
  std::string what;
  std::streampos start = -1;  ///< where the content starts (seek back to it for a repeat)
  bool rewindable = true;
  bool needRewind = false;
  int attempts = 0;  ///< counted ones (not redirects or challenges)
  int redirects = 0;
  bool challenged = false;
  std::string lastProblem;  ///< why the request is being repeated
  std::optional<DavResponse> response;
};

Result<DavResponse> DavClient::execute(const DavRequest& request) {
  Exchange exchange(request);
  try {
    if (request.content != nullptr) exchange.start = request.content->tellg();
  } catch (...) {
    exchange.start = -1;  // a stream that throws cannot be rewound either
  }
  exchange.rewindable = request.content == nullptr || exchange.start != std::streampos(-1);
  dms::http::AttemptLoop loop(retry_, stop_);
  const Status outcome =
      loop.run([&](int) { return attemptExchange(exchange); },
               [&](const Error&, std::chrono::milliseconds delay, int failures) {
                 logger_.warning(kLogSource, exchange.what + " " + exchange.lastProblem +
                                                 ", retry " + std::to_string(failures) + " in " +
                                                 std::to_string(delay.count()) + " ms");
               });
  // A retryable answer still there when the retries are used up is the caller's to map.
  if (outcome || (loop.end() == dms::http::AttemptLoop::End::GaveUp && exchange.response)) {
    exchange.response->attempts = exchange.attempts;
    return std::move(*exchange.response);
  }
  if (loop.end() == dms::http::AttemptLoop::End::Stopped) return stoppedError(exchange.what);
  return outcome.error();
}

Status DavClient::rewind(Exchange& exchange) {
  std::istream* content = exchange.request.content;
  if (!exchange.needRewind || content == nullptr) return {};
  if (!exchange.rewindable)
    return fail(ErrorCode::Unavailable,
                exchange.what + " must be repeated (" + exchange.lastProblem +
                    ") but its content stream cannot seek back; nothing was stored");
  try {
    content->clear();
    content->seekg(exchange.start);
  } catch (...) {
    content->setstate(std::ios::failbit);
  }
  if (!*content)
    return fail(ErrorCode::DataLoss, exchange.what + ": cannot seek the content back for a retry");
  return {};
}

dms::http::Step DavClient::attemptExchange(Exchange& exchange) {
  using dms::http::Step;
  const DavRequest& request = exchange.request;
  if (auto rewound = rewind(exchange); !rewound) return Step::finalFailure(rewound.error());
  exchange.needRewind = true;
  exchange.response.reset();
  ++exchange.attempts;
  Attempt attempt =
      attemptOnce(request, exchange.target, request.content != nullptr && !exchange.rewindable);
  if (attempt.contentError)
    return Step::finalFailure(
        fail(ErrorCode::DataLoss, exchange.what + ": " + *attempt.contentError));
  if (attempt.noSession)
    return Step::finalFailure(
        fail(attempt.noSession->code, exchange.what + ": " + attempt.noSession->message));
  if (!attempt.response) {
    Error error = fail(ErrorCode::Unavailable, exchange.what + " to " + origin_ + " failed after " +
                                                   std::to_string(exchange.attempts) +
                                                   " attempt(s): " + attempt.transportError);
    if (!request.retryTransportErrors || attempt.final) return Step::finalFailure(error);
    exchange.lastProblem = "failed (" + attempt.transportError + ")";
    return Step::failure(error);
  }
  return stepForAnswer(exchange, std::move(*attempt.response), *attempt.head);
}

dms::http::Step DavClient::stepForAnswer(Exchange& exchange, DavResponse response,
                                         const Poco::Net::HTTPResponse& head) {
  using dms::http::Step;
  const int status = response.status;
  if (status == 401 && !exchange.challenged &&
      learnChallenge(exchange.request, exchange.target, head)) {
    // Not counted as an attempt: the first request learns the scheme (and Digest nonce).
    exchange.challenged = true;
    --exchange.attempts;
    exchange.lastProblem = "authentication challenge";
    return Step::repeat();
  }
  if ((status == 301 || status == 302 || status == 307 || status == 308) && head.has("Location")) {
    if (++exchange.redirects > kMaxRedirects)
      return Step::finalFailure(
          fail(ErrorCode::Unavailable, exchange.what + ": more than 5 redirects"));
    Poco::URI location;
    try {
      location = Poco::URI(Poco::URI(origin_ + exchange.target), head.get("Location"));
    } catch (const Poco::Exception& e) {
      return Step::finalFailure(fail(
          ErrorCode::Unavailable, exchange.what + ": bad redirect Location: " + e.displayText()));
    }
    const std::string newOrigin = location.getScheme() + "://" + location.getAuthority();
    if (newOrigin != origin_)
      return Step::finalFailure(fail(ErrorCode::PermissionDenied,
                                     exchange.what + ": redirect to another origin (" + newOrigin +
                                         ") refused; credentials are only sent to " + origin_));
    exchange.target = location.getPathEtc();
    --exchange.attempts;
    exchange.lastProblem = "redirected";
    return Step::repeat();
  }
  // An answer to a body that cannot be sent again is final here; the caller may retry.
  const bool retry = dms::http::isRetryableStatus(status) && exchange.rewindable &&
                     (status != 423 || exchange.request.retryLocked);
  Error failure = errorForStatus(response, exchange.what);
  exchange.response = std::move(response);
  if (!retry) return Step::done();
  exchange.lastProblem = "answered " + std::to_string(status);
  return Step::failure(failure);
}

Result<std::unique_ptr<std::istream>> DavClient::openGet(const std::string& target,
                                                         std::string_view what) {
  std::unique_ptr<std::istream> stream;
  bool challenged = false;
  dms::http::AttemptLoop loop(retry_, stop_);
  const Status outcome =
      loop.run([&](int) { return attemptGet(target, what, challenged, stream); });
  if (outcome) return stream;
  if (loop.end() == dms::http::AttemptLoop::End::Stopped) return stoppedError(std::string(what));
  return outcome.error();
}

dms::http::Step DavClient::attemptGet(const std::string& target, std::string_view what,
                                      bool& challenged, std::unique_ptr<std::istream>& stream) {
  using dms::http::Step;
  if (stop_.stopped())
    return Step::finalFailure(fail(ErrorCode::Cancelled, std::string(what) + ": stopped"));
  SigpipeGuard sigpipe;
  auto leased = pool_->acquire(poolOrigin_, false, stop_);
  if (!leased)
    return Step::finalFailure(
        fail(leased.error().code, std::string(what) + ": " + leased.error().message));
  dms::http::SessionPool::Lease& lease = *leased;
  Poco::Net::HTTPResponse head;
  DavResponse response;
  dms::http::ConnectionAborter::Watch watch;  // after the lease: released before it closes
  // A failure after cancel() cut the connection is the cut, whatever Poco made of it.
  auto cutByCancel = [&] {
    return Step::finalFailure(
        fail(ErrorCode::Cancelled, std::string(what) + ": stopped while waiting for the server"));
  };
  // One the watchdog cut (the answer came too slowly) is a timeout, retried as one.
  auto cutByDeadline = [&] {
    return Step::failure(fail(ErrorCode::Unavailable, std::string(what) + ": GET from " + origin_ +
                                                          " timed out: " + watch.expiredBecause()));
  };
  try {
    Poco::Net::HTTPRequest http("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
    http.setKeepAlive(true);
    applyAuth(http);
    lease.session().sendRequest(http);
    watch = aborter_.watch(lease, stop_);
    watch.awaitHead();
    std::istream& body = lease.session().receiveResponse(head);
    watch.throwIfExpired();
    watch.awaitBody();
    response.status = static_cast<int>(head.getStatus());
    response.reason = head.getReason();
    response.retryAfter = retryAfterOf(head);
    if (response.status == 200 && !watch.aborted()) {
      stream = std::make_unique<LeasedStream>(std::move(lease), std::move(watch), head, body,
                                              dms::http::contentLength(head), std::string(what),
                                              logger_);
      return Step::done();
    }
    lease.discard();  // error bodies are not read
  } catch (const Poco::Net::SSLException& e) {
    lease.discard();
    if (watch.aborted()) return cutByCancel();
    if (watch.expired()) return cutByDeadline();
    return Step::finalFailure(
        fail(ErrorCode::Unavailable, std::string(what) + ": TLS: " + e.displayText()));
  } catch (const Poco::Exception& e) {
    lease.discard();
    if (watch.aborted()) return cutByCancel();
    if (watch.expired()) return cutByDeadline();
    return Step::failure(fail(ErrorCode::Unavailable, std::string(what) + ": GET from " + origin_ +
                                                          " failed: " + e.displayText()));
  }
  if (response.status == 401 && !challenged) {
    DavRequest probe{"GET", target, {}, {}, {}, nullptr, std::nullopt, true};
    if (learnChallenge(probe, target, head)) {
      challenged = true;
      return Step::repeat();
    }
  }
  Error error = errorForStatus(response, what);
  if (dms::http::isRetryableStatus(response.status)) return Step::failure(error);
  return Step::finalFailure(error);
}

Error DavClient::errorForStatus(const DavResponse& response, std::string_view what) {
  const std::string answer = std::string(what) + ": the server answered " +
                             std::to_string(response.status) +
                             (response.reason.empty() ? "" : " " + response.reason);
  const ErrorCode code = dms::http::errorCodeForStatus(response.status);
  switch (code) {
    case ErrorCode::Unauthenticated:
      return fail(code, answer + " (check the username/password or bearer token)");
    case ErrorCode::Internal:
      return fail(code, answer + " (unexpected)");
    case ErrorCode::RateLimited:
    case ErrorCode::Unavailable: {
      Error error = fail(code, answer);
      error.retryAfter = response.retryAfter;
      return error;
    }
    default:
      return fail(code, answer);
  }
}

}  // namespace dms::webdav
