#include "AdminSessions.h"

#include <iterator>

#include "PasswordHash.h"

namespace dms::host::admin {

AdminSessions::AdminSessions(std::chrono::seconds lifetime, NowFunction now)
    : lifetime_(lifetime), now_(std::move(now)) {}

std::optional<Session> AdminSessions::open(const std::string& user) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  dropExpiredLocked(now);
  if (sessions_.size() >= kMaxSessions) return std::nullopt;
  Session session{randomToken(), user, randomToken(), now + lifetime_};
  sessions_[session.id] = session;
  return session;
}

std::optional<Session> AdminSessions::find(const std::string& id) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void AdminSessions::close(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

void AdminSessions::dropExpiredLocked(Clock::time_point now) {
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires <= now; });
}

LoginThrottle::LoginThrottle(NowFunction now) : now_(std::move(now)) {}

bool LoginThrottle::allowed(const std::string& address) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  dropOldLocked(now);
  auto it = windows_.find(address);
  if (it != windows_.end()) return it->second.failures < kMaxFailures;
  return windows_.size() < kMaxAddresses;
}

void LoginThrottle::failed(const std::string& address) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  dropOldLocked(now);
  auto it = windows_.find(address);
  if (it == windows_.end()) {
    if (windows_.size() >= kMaxAddresses) return;  // allowed() refuses everyone until then
    it = windows_.emplace(address, Window{now, 0}).first;
  }
  ++it->second.failures;
}

void LoginThrottle::succeeded(const std::string& address) {
  std::lock_guard lock(mutex_);
  windows_.erase(address);
}

void LoginThrottle::dropOldLocked(Clock::time_point now) {
  std::erase_if(windows_, [now](const auto& entry) { return entry.second.start + kWindow <= now; });
}

}  // namespace dms::host::admin
