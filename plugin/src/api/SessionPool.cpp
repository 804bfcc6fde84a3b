#include "api/SessionPool.h"

#include <algorithm>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Timespan.h>

namespace ambita::api {
namespace {

Poco::Timespan toTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

}  // namespace

SessionPool::Lease::Lease(SessionPool* pool, std::string key,
                          std::unique_ptr<Poco::Net::HTTPClientSession> s, bool reused)
    : pool_(pool), key_(std::move(key)), session_(std::move(s)), reused_(reused) {}

SessionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      key_(std::move(other.key_)),
      session_(std::move(other.session_)),
      reused_(other.reused_),
      discard_(other.discard_) {
  other.pool_ = nullptr;
}

SessionPool::Lease::~Lease() {
  if (pool_ == nullptr) return;
  if (discard_ && session_) {
    try {
      session_->reset();  // closes the socket
    } catch (...) {
      // Closing a broken connection may fail; it is being dropped anyway.
    }
    session_.reset();
  }
  pool_->giveBack(key_, std::move(session_));
}

SessionPool::SessionPool(Settings settings) : settings_(std::move(settings)) {}

SessionPool::~SessionPool() {
  closeIdle();
}

dms::Result<Poco::Net::Context::Ptr> SessionPool::contextFor(Slot& slot, const Origin& origin) {
  if (slot.context) return slot.context;
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = settings_.verification == TlsVerification::Strict
                                  ? Poco::Net::Context::VERIFY_STRICT
                                  : Poco::Net::Context::VERIFY_RELAXED;
    params.caLocation = settings_.caFile;
    params.loadDefaultCAs = settings_.caFile.empty();
    params.verificationDepth = 9;
    slot.context = Poco::makeAuto<Poco::Net::Context>(Poco::Net::Context::TLS_CLIENT_USE, params);
    return slot.context;
  } catch (const Poco::Exception& e) {
    return dms::fail(
        dms::ErrorCode::InvalidArgument,
        "cannot set up TLS for " + origin.str() +
            (settings_.caFile.empty() ? "" : " with CA file '" + settings_.caFile + "'") + ": " +
            e.displayText());
  }
}

dms::Result<SessionPool::Lease> SessionPool::acquire(const Origin& origin, bool fresh,
                                                     const std::function<bool()>& cancelled) {
  const std::string key = origin.str();
  std::unique_lock lock(mutex_);
  Slot& slot = slots_[key];
  const auto deadline = std::chrono::steady_clock::now() + settings_.maxWait;
  while (slot.lent >= settings_.maxPerOrigin) {
    if (cancelled && cancelled())
      return dms::fail(dms::ErrorCode::Cancelled, "stopped while waiting for a connection");
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return dms::fail(dms::ErrorCode::Unavailable,
                       "no free connection to " + key + " within " +
                           std::to_string(settings_.maxWait.count() / 1000) + " s (all " +
                           std::to_string(settings_.maxPerOrigin) + " in use)");
    // Short waits so that a stop request is seen even if no session comes back.
    available_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                  std::chrono::milliseconds(50), deadline - now));
  }
  if (!fresh && !slot.idle.empty()) {
    auto s = std::move(slot.idle.back());
    slot.idle.pop_back();
    ++slot.lent;
    return Lease(this, key, std::move(s), true);
  }
  std::unique_ptr<Poco::Net::HTTPClientSession> s;
  try {
    if (origin.scheme == "https") {
      auto ctx = contextFor(slot, origin);
      if (!ctx) return ctx.error();
      s = std::make_unique<Poco::Net::HTTPSClientSession>(origin.host, origin.port, *ctx);
    } else {
      s = std::make_unique<Poco::Net::HTTPClientSession>(origin.host, origin.port);
    }
  } catch (const Poco::Exception& e) {
    return dms::fail(dms::ErrorCode::Internal,
                     "cannot create a session for " + origin.str() + ": " + e.displayText());
  }
  s->setTimeout(toTimespan(settings_.connectTimeout), toTimespan(settings_.readTimeout),
                toTimespan(settings_.readTimeout));
  s->setKeepAlive(true);
  ++slot.lent;
  return Lease(this, key, std::move(s), false);
}

void SessionPool::giveBack(const std::string& key,
                           std::unique_ptr<Poco::Net::HTTPClientSession> s) {
  std::unique_ptr<Poco::Net::HTTPClientSession> drop;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[key];
    --slot.lent;
    if (s && s->connected() && static_cast<int>(slot.idle.size()) < settings_.maxPerOrigin)
      slot.idle.push_back(std::move(s));
    else
      drop = std::move(s);
  }
  available_.notify_one();
  // `drop` closes its connection outside the lock.
}

void SessionPool::closeIdle() {
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> drop;
  std::lock_guard lock(mutex_);
  for (auto& [key, slot] : slots_) {
    for (auto& s : slot.idle) drop.push_back(std::move(s));
    slot.idle.clear();
  }
}

std::size_t SessionPool::idleCountForTest(const Origin& origin) {
  std::lock_guard lock(mutex_);
  return slots_[origin.str()].idle.size();
}

}  // namespace ambita::api
