#include "api/TokenManager.h"

#include <algorithm>

namespace ambita::api {
namespace {
constexpr std::string_view kSource = "ambita.token";
/// Longest single wait on the condition variable: a cancellation is noticed this soon even if
/// nobody notifies.
constexpr std::chrono::milliseconds kCancelCheck{50};
}  // namespace

TokenManager::TokenManager(const ClientOptions& options, Fetch fetch, dms::Logger* logger,
                           Clock clock)
    : options_(options), fetch_(std::move(fetch)), logger_(logger), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

void TokenManager::adopt(const TokenResponse& t) {
  access_ = t.accessToken;
  // Refresh tokens rotate; an answer without one keeps the old one (some servers do that).
  if (!t.refreshToken.empty()) refresh_ = t.refreshToken;
  const auto life = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::min<std::chrono::seconds>(t.expiresIn, kMaxTokenLifetime));
  // Renew a little early so a token never expires in flight; for short lifetimes (tests, or a
  // server that hands out minutes) the margin is at most a quarter of the lifetime.
  const auto margin = std::min(options_.tokenRefreshMargin, life / 4);
  renewAt_ = clock_() + life - margin;
  publishSecrets();
}

std::optional<dms::Error> TokenManager::awaitOtherRenewal(std::unique_lock<std::mutex>& lock,
                                                          const Cancelled& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + options_.maxWait;
  while (renewing_) {
    if (cancelled && cancelled())
      return dms::fail(dms::ErrorCode::Cancelled, "stopped while waiting for an access token");
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return dms::fail(dms::ErrorCode::Unavailable,
                       "no access token: another call's token request did not finish within " +
                           std::to_string(options_.maxWait.count() / 1000) + " s");
    renewalEnded_.wait_for(
        lock, std::min<std::chrono::steady_clock::duration>(kCancelCheck, deadline - now));
  }
  return std::nullopt;
}

dms::Result<std::string> TokenManager::accessToken(const Cancelled& cancelled) {
  std::unique_lock lock(mutex_);
  if (auto e = awaitOtherRenewal(lock, cancelled)) return *e;
  if (!access_.empty() && clock_() < renewAt_) return access_;
  // This thread renews; the lock is released for the network part, so threads that hold
  // pooled connections can still invalidate() and give their connections back.
  renewing_ = true;
  access_.clear();
  const std::string refresh = refresh_;
  lock.unlock();
  bool refreshRefused = false;
  auto t = renew(refresh, refreshRefused);
  lock.lock();
  renewing_ = false;
  if (refreshRefused && refresh_ == refresh) refresh_.clear();
  std::string token;
  if (t) {
    adopt(*t);
    token = access_;
  }
  lock.unlock();
  renewalEnded_.notify_all();
  if (!t) return t.error();
  if (logger_)
    logger_->info(kSource, std::string("access token obtained (") +
                               (refresh.empty() || refreshRefused ? "password" : "refresh_token") +
                               " grant), valid " + std::to_string(t->expiresIn.count()) + " s");
  return token;
}

dms::Result<TokenResponse> TokenManager::renew(const std::string& refreshToken,
                                               bool& refreshRefused) {
  if (!refreshToken.empty()) {
    {
      std::lock_guard lock(mutex_);
      ++refreshGrants_;
    }
    auto t = fetch_({{"grant_type", "refresh_token"},
                     {"refresh_token", refreshToken},
                     {"client_id", options_.clientId},
                     {"client_secret", options_.clientSecret}});
    if (t) return t;
    // A refused refresh (expired, rotated away, revoked) falls back to the password grant; a
    // network failure would fail the password grant too, so it is reported as is.
    if (t.error().code != dms::ErrorCode::Unauthenticated &&
        t.error().code != dms::ErrorCode::InvalidArgument)
      return t.error();
    refreshRefused = true;
    if (logger_)
      logger_->info(kSource,
                    "refresh refused (" + t.error().message + "); using the password grant");
  }
  {
    std::lock_guard lock(mutex_);
    ++passwordGrants_;
  }
  return fetch_({{"grant_type", "password"},
                 {"client_id", options_.clientId},
                 {"client_secret", options_.clientSecret},
                 {"username", options_.username},
                 {"password", options_.password}});
}

void TokenManager::invalidate(const std::string& rejected) {
  bool forgotten = false;
  {
    std::lock_guard lock(mutex_);
    if (!rejected.empty() && rejected == access_) {
      access_.clear();
      forgotten = true;
    }
  }
  if (forgotten && logger_) logger_->info(kSource, "access token rejected (401); renewing");
}

bool TokenManager::isCurrent(const std::string& token) const {
  std::lock_guard lock(mutex_);
  return !token.empty() && token == access_;
}

void TokenManager::reset() {
  std::lock_guard lock(mutex_);
  access_.clear();
  refresh_.clear();
}

void TokenManager::publishSecrets() {
  std::lock_guard lock(secretsMutex_);
  // Old tokens stay masked too (a late error may still quote one); the list stays short.
  for (const auto* s : {&access_, &refresh_})
    if (!s->empty() && std::find(secrets_.begin(), secrets_.end(), *s) == secrets_.end())
      secrets_.push_back(*s);
  if (secrets_.size() > 16) secrets_.erase(secrets_.begin(), secrets_.end() - 16);
}

std::vector<std::string> TokenManager::secrets() const {
  std::lock_guard lock(secretsMutex_);
  return secrets_;
}

std::pair<int, int> TokenManager::grantCountsForTest() const {
  std::lock_guard lock(mutex_);
  return {passwordGrants_, refreshGrants_};
}

}  // namespace ambita::api
