#include "SessionPool.h"

#include <Poco/Net/HTTPSClientSession.h>

#include <algorithm>

namespace dms::webdav {

SessionPool::Lease::Lease(std::shared_ptr<SessionPool> pool,
                          std::unique_ptr<Poco::Net::HTTPClientSession> session)
    : pool_(std::move(pool)), session_(std::move(session)) {}

SessionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::move(other.pool_)),
      session_(std::move(other.session_)),
      reusable_(other.reusable_) {}

SessionPool::Lease::~Lease() {
  if (session_) pool_->giveBack(std::move(session_), reusable_);
}

SessionPool::SessionPool(Settings settings) : settings_(std::move(settings)) {
  if (settings_.maxSessions == 0) settings_.maxSessions = 1;
}

std::unique_ptr<Poco::Net::HTTPClientSession> SessionPool::makeSession() const {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (settings_.scheme == "https")
    session = std::make_unique<Poco::Net::HTTPSClientSession>(settings_.host, settings_.port,
                                                              settings_.tlsContext);
  else
    session = std::make_unique<Poco::Net::HTTPClientSession>(settings_.host, settings_.port);
  session->setKeepAlive(true);
  // Reconnect rather than reuse a connection idle for longer than this: servers close idle
  // keep-alive connections (Apache after 5 s by default), and a body that cannot be rewound
  // must not be sent into a connection that is already gone.
  session->setKeepAliveTimeout(Poco::Timespan(4, 0));
  session->setTimeout(settings_.connectTimeout, settings_.ioTimeout, settings_.ioTimeout);
  return session;
}

Result<SessionPool::Lease> SessionPool::acquire(const dms::http::StopSignal& stop) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + settings_.maxWait;
  while (idle_.empty() && outstanding_ >= settings_.maxSessions) {
    if (stop.stopped()) return fail(ErrorCode::Cancelled, "stopped while waiting for a connection");
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return fail(ErrorCode::Unavailable,
                  "no free connection to " + settings_.host + ":" + std::to_string(settings_.port) +
                      " within " + std::to_string(settings_.maxWait.count()) + " ms (all " +
                      std::to_string(settings_.maxSessions) + " in use)");
    // Short slices: the stop signal has its own condition variable, so it is polled here.
    available_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                  std::chrono::milliseconds(50), deadline - now));
  }
  if (!idle_.empty()) {
    auto session = std::move(idle_.back());
    idle_.pop_back();
    return Lease(shared_from_this(), std::move(session));
  }
  ++outstanding_;
  ++created_;
  lock.unlock();
  return Lease(shared_from_this(), makeSession());
}

void SessionPool::giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session, bool reusable) {
  if (!reusable) {
    try {
      session->reset();
    } catch (...) {
      // Closing a broken connection may fail again; the session is dropped either way.
    }
    session.reset();
  }
  {
    std::lock_guard lock(mutex_);
    if (session)
      idle_.push_back(std::move(session));
    else
      --outstanding_;
  }
  available_.notify_one();
}

std::size_t SessionPool::sessionsCreatedForTest() const {
  std::lock_guard lock(mutex_);
  return created_;
}

}  // namespace dms::webdav
