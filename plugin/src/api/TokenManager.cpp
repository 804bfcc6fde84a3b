#include "api/TokenManager.h"

#include <algorithm>

namespace ambita::api {
namespace {
constexpr std::string_view kSource = "ambita.token";
}

TokenManager::TokenManager(const ClientOptions& options, Fetch fetch, dms::Logger* logger,
                           Clock clock)
    : options_(options), fetch_(std::move(fetch)), logger_(logger), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

dms::Result<std::string> TokenManager::adopt(const TokenResponse& t, const char* how) {
  access_ = t.accessToken;
  // Refresh tokens rotate; an answer without one keeps the old one (some servers do that).
  if (!t.refreshToken.empty()) refresh_ = t.refreshToken;
  const auto life = std::chrono::duration_cast<std::chrono::milliseconds>(t.expiresIn);
  // Renew a little early so a token never expires in flight; for short lifetimes (tests, or a
  // server that hands out minutes) the margin is at most a quarter of the lifetime.
  const auto margin = std::min(options_.tokenRefreshMargin, life / 4);
  renewAt_ = clock_() + life - margin;
  publishSecrets();
  if (logger_)
    logger_->info(kSource, std::string("access token obtained (") + how + "), valid " +
                               std::to_string(t.expiresIn.count()) + " s");
  return access_;
}

dms::Result<std::string> TokenManager::accessToken() {
  std::lock_guard lock(mutex_);
  if (!access_.empty() && clock_() < renewAt_) return access_;
  access_.clear();
  if (!refresh_.empty()) {
    ++refreshGrants_;
    auto t = fetch_({{"grant_type", "refresh_token"},
                     {"refresh_token", refresh_},
                     {"client_id", options_.clientId},
                     {"client_secret", options_.clientSecret}});
    if (t) return adopt(*t, "refresh_token grant");
    refresh_.clear();
    // A refused refresh (expired, rotated away) falls back to the password grant; a network
    // failure would fail the password grant too, so it is reported as is.
    if (t.error().code != dms::ErrorCode::Unauthenticated &&
        t.error().code != dms::ErrorCode::InvalidArgument)
      return t.error();
    if (logger_)
      logger_->info(kSource,
                    "refresh refused (" + t.error().message + "); using the password grant");
  }
  ++passwordGrants_;
  auto t = fetch_({{"grant_type", "password"},
                   {"client_id", options_.clientId},
                   {"client_secret", options_.clientSecret},
                   {"username", options_.username},
                   {"password", options_.password}});
  if (!t) return t.error();
  return adopt(*t, "password grant");
}

void TokenManager::invalidate(const std::string& rejected) {
  std::lock_guard lock(mutex_);
  if (rejected == access_) {
    access_.clear();
    if (logger_) logger_->info(kSource, "access token rejected (401); renewing");
  }
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
