#include "ConnectionGuard.h"

#include <Poco/Exception.h>

#include <vector>

namespace dms::host {

namespace {

constexpr const char* kSource = "http";

/// The watchdog wakes at least this often even with nothing armed (every wait has a deadline).
constexpr std::chrono::seconds kIdleWake{1};

/// Shuts a socket down in both directions, ignoring a socket the peer already closed.
void shutDown(Poco::Net::StreamSocket& socket) noexcept {
  try {
    socket.shutdown();
  } catch (...) {  // NOLINT: already closed or reset; nothing left to end
  }
}

}  // namespace

ConnectionGuard::ConnectionGuard(ListenerLimits limits, Logger& logger)
    : limits_(limits), logger_(logger), watchdog_([this] { watch(); }) {}

ConnectionGuard::~ConnectionGuard() {
  stop();
}

std::unique_ptr<ConnectionGuard::Admission> ConnectionGuard::admit(
    const Poco::Net::StreamSocket& socket) {
  std::string address;
  try {
    address = socket.peerAddress().host().toString();
  } catch (const Poco::Exception&) {
    return nullptr;  // the peer is already gone
  }
  {
    std::lock_guard lock(mutex_);
    if (closing_) return nullptr;
    const auto held = perAddress_.find(address);
    if (held == perAddress_.end() || held->second < limits_.maxConnectionsPerAddress) {
      ++perAddress_[address];
      connections_[socket.impl()] = {socket, address,
                                     std::chrono::steady_clock::now() + limits_.requestDeadline};
      changed_.notify_all();
      return std::make_unique<Admission>(*this, socket.impl());
    }
  }
  logger_.warning(kSource, "refused a connection from " + address + ": " +
                               std::to_string(limits_.maxConnectionsPerAddress) +
                               " connections from that address are being served "
                               "(http.maxConnectionsPerAddress)");
  return nullptr;
}

void ConnectionGuard::release(Poco::Net::SocketImpl* key) noexcept {
  std::lock_guard lock(mutex_);
  const auto found = connections_.find(key);
  if (found == connections_.end()) return;
  const auto held = perAddress_.find(found->second.address);
  if (held != perAddress_.end() && --held->second == 0) perAddress_.erase(held);
  connections_.erase(found);
}

void ConnectionGuard::requestRead(const Poco::Net::Socket& socket) {
  setDeadline(socket, false, false);
}

void ConnectionGuard::answering(const Poco::Net::Socket& socket) {
  setDeadline(socket, true, true);
}

void ConnectionGuard::answerSent(const Poco::Net::Socket& socket) {
  setDeadline(socket, true, false);
}

void ConnectionGuard::setDeadline(const Poco::Net::Socket& socket, bool armed, bool answering) {
  std::lock_guard lock(mutex_);
  const auto found = connections_.find(socket.impl());
  if (found == connections_.end()) return;
  if (armed)
    found->second.deadline = std::chrono::steady_clock::now() + limits_.requestDeadline;
  else
    found->second.deadline.reset();
  found->second.answering = answering;
  changed_.notify_all();
}

void ConnectionGuard::watch() {
  std::unique_lock lock(mutex_);
  while (!closing_) {
    const auto now = std::chrono::steady_clock::now();
    auto wakeAt = now + kIdleWake;
    std::vector<Connection> expired;
    for (auto& [key, connection] : connections_) {
      if (!connection.deadline) continue;
      if (*connection.deadline <= now) {
        connection.deadline.reset();  // shut down once; the worker releases it soon after
        expired.push_back(connection);
      } else if (*connection.deadline < wakeAt) {
        wakeAt = *connection.deadline;
      }
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& connection : expired) {
        shutDown(connection.socket);
        logger_.warning(
            kSource, "closed a connection from " + connection.address + ": " +
                         (connection.answering ? "the answer was not taken" : "no whole request") +
                         " within " + std::to_string(limits_.requestDeadline.count()) + " ms");
      }
      lock.lock();
      continue;
    }
    changed_.wait_until(lock, wakeAt);
  }
}

void ConnectionGuard::stop() noexcept {
  std::vector<Poco::Net::StreamSocket> open;
  {
    std::lock_guard lock(mutex_);
    if (closing_ && !watchdog_.joinable()) return;
    closing_ = true;
    for (auto& [key, connection] : connections_) open.push_back(connection.socket);
    changed_.notify_all();
  }
  for (auto& socket : open) shutDown(socket);
  if (watchdog_.joinable()) watchdog_.join();
}

}  // namespace dms::host
