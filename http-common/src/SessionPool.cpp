#include "dms/http/SessionPool.h"

#include <algorithm>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Timespan.h>

namespace dms::http {
namespace {

Poco::Timespan toTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

/// What a Lease needs of its session: Poco's HTTPSession::read, which is protected, and the
/// count of the body bytes it read.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual int readBody(char* buffer, std::streamsize length) = 0;
  virtual bool readLine(std::string& line, std::size_t most) = 0;
  virtual const std::atomic<std::uint64_t>& bodyBytes() const = 0;
};

/// The sessions the pool makes: Poco's HTTP or HTTPS session, with its read opened to leases
/// and counted. Every body byte comes through read() (Poco's fixed-length, chunked and
/// to-the-end body streams, and receiveBody); the head and a chunked body's size lines do not
/// (Poco's get(), and readLine).
template <class Session>
class PooledSession final : public Session, public BodyReader {
 public:
  using Session::Session;
  int readBody(char* buffer, std::streamsize length) override {
    return this->read(buffer, length);  // HTTPClientSession::read: buffered bytes, else receive
  }
  bool readLine(std::string& line, std::size_t most) override {
    line.clear();
    while (line.size() < most) {
      // get() alone cannot tell a 0xFF byte from the end: it returns a plain char.
      if (this->buffered() == 0) {
        this->refill();
        if (this->buffered() == 0) return false;
      }
      const char c = static_cast<char>(this->get());
      if (c == '\n') return true;
      line.push_back(c);
    }
    return false;
  }
  const std::atomic<std::uint64_t>& bodyBytes() const override { return bodyBytes_; }

 protected:
  int read(char* buffer, std::streamsize length) override {
    const int n = Session::read(buffer, length);
    // One writer (the reader of the session): a plain store, no locked add per read.
    if (n > 0)
      bodyBytes_.store(bodyBytes_.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(n),
                       std::memory_order_relaxed);
    return n;
  }

 private:
  std::atomic<std::uint64_t> bodyBytes_{0};
};

/// Closes a session's connection; a broken one may fail to close, it is dropped either way.
void closeQuietly(std::unique_ptr<Poco::Net::HTTPClientSession> session) noexcept {
  if (!session) return;
  try {
    session->reset();
  } catch (...) {
  }
}

}  // namespace

SessionPool::Lease::Lease(std::shared_ptr<SessionPool> pool, std::string key,
                          std::unique_ptr<Poco::Net::HTTPClientSession> session, bool reused)
    : pool_(std::move(pool)), key_(std::move(key)), session_(std::move(session)), reused_(reused) {}

SessionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::move(other.pool_)),
      key_(std::move(other.key_)),
      session_(std::move(other.session_)),
      reused_(other.reused_),
      discard_(other.discard_) {}

SessionPool::Lease::~Lease() {
  if (!pool_) return;  // moved from
  if (discard_) closeQuietly(std::move(session_));
  pool_->giveBack(key_, std::move(session_));
}

int SessionPool::Lease::receiveBody(char* buffer, std::streamsize length) {
  // Every session is made by makeSession, as a PooledSession.
  return dynamic_cast<BodyReader&>(*session_).readBody(buffer, length);
}

bool SessionPool::Lease::receiveLine(std::string& line, std::size_t most) {
  return dynamic_cast<BodyReader&>(*session_).readLine(line, most);
}

const std::atomic<std::uint64_t>& SessionPool::Lease::bodyBytesReceived() const {
  return dynamic_cast<const BodyReader&>(*session_).bodyBytes();
}

std::shared_ptr<SessionPool> SessionPool::create(Settings settings) {
  return std::shared_ptr<SessionPool>(new SessionPool(std::move(settings)));
}

SessionPool::SessionPool(Settings settings) : settings_(std::move(settings)) {
  settings_.maxPerOrigin = std::max<std::size_t>(settings_.maxPerOrigin, 1);
}

SessionPool::~SessionPool() {
  closeIdle();
}

Result<SessionPool::Lease> SessionPool::acquire(const Origin& origin, bool fresh,
                                                const StopSignal& stop) {
  const std::string key = origin.str();
  std::unique_ptr<Poco::Net::HTTPClientSession> replaced;  // closed outside the lock
  Poco::Net::Context::Ptr tls;
  {
    std::unique_lock lock(mutex_);
    Slot& slot = slots_[key];
    const auto deadline = std::chrono::steady_clock::now() + settings_.maxWait;
    while (true) {
      if (!fresh && !slot.idle.empty()) {
        auto session = std::move(slot.idle.back());
        slot.idle.pop_back();
        ++slot.lent;
        return Lease(shared_from_this(), key, std::move(session), true);
      }
      if (slot.lent + slot.idle.size() < settings_.maxPerOrigin) break;
      if (fresh && !slot.idle.empty()) {
        // At the bound, a new connection takes the place of an idle one.
        replaced = std::move(slot.idle.back());
        slot.idle.pop_back();
        break;
      }
      if (stop.stopped())
        return fail(ErrorCode::Cancelled, "stopped while waiting for a connection");
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        return fail(ErrorCode::Unavailable,
                    "no free connection to " + key + " within " +
                        std::to_string(settings_.maxWait.count()) + " ms (all " +
                        std::to_string(settings_.maxPerOrigin) + " in use)");
      // Short slices: the stop signal wakes its own sleepers, not this condition variable.
      available_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                    std::chrono::milliseconds(50), deadline - now));
    }
    ++slot.lent;  // reserved: the session is made below, outside the lock
    tls = slot.tlsContext;
  }
  closeQuietly(std::move(replaced));
  auto session = makeSession(origin, tls);
  if (!session) {
    giveBack(key, nullptr);
    return session.error();
  }
  return Lease(shared_from_this(), key, std::move(*session), false);
}

Result<std::unique_ptr<Poco::Net::HTTPClientSession>> SessionPool::makeSession(
    const Origin& origin, Poco::Net::Context::Ptr tls) {
  if (origin.scheme == "https" && !tls) {
    if (!settings_.tlsContext)
      return fail(ErrorCode::Internal, "no TLS set up for " + origin.str());
    auto made = settings_.tlsContext(origin);
    if (!made) return made.error();
    tls = *made;
    std::lock_guard lock(mutex_);
    slots_[origin.str()].tlsContext = tls;
  }
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  try {
    if (origin.scheme == "https")
      session = std::make_unique<PooledSession<Poco::Net::HTTPSClientSession>>(origin.host,
                                                                               origin.port, tls);
    else
      session =
          std::make_unique<PooledSession<Poco::Net::HTTPClientSession>>(origin.host, origin.port);
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Internal,
                "cannot create a session for " + origin.str() + ": " + e.displayText());
  }
  session->setTimeout(toTimespan(settings_.connectTimeout), toTimespan(settings_.ioTimeout),
                      toTimespan(settings_.ioTimeout));
  session->setKeepAlive(true);
  if (settings_.keepAliveTimeout.count() > 0)
    session->setKeepAliveTimeout(toTimespan(settings_.keepAliveTimeout));
  {
    std::lock_guard lock(mutex_);
    ++created_;
  }
  return session;
}

void SessionPool::giveBack(const std::string& key,
                           std::unique_ptr<Poco::Net::HTTPClientSession> session) {
  std::unique_ptr<Poco::Net::HTTPClientSession> drop;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[key];
    --slot.lent;
    if (session && session->connected())
      slot.idle.push_back(std::move(session));
    else
      drop = std::move(session);
  }
  available_.notify_one();
  closeQuietly(std::move(drop));
}

void SessionPool::closeIdle() {
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> drop;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, slot] : slots_) {
      for (auto& session : slot.idle) drop.push_back(std::move(session));
      slot.idle.clear();
    }
  }
  for (auto& session : drop) closeQuietly(std::move(session));
}

std::size_t SessionPool::idleCountForTest(const Origin& origin) {
  std::lock_guard lock(mutex_);
  return slots_[origin.str()].idle.size();
}

std::size_t SessionPool::sessionsCreatedForTest() const {
  std::lock_guard lock(mutex_);
  return created_;
}

}  // namespace dms::http
