#include "ConnectionGuard.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <iterator>
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

ConnectionGuard::ConnectionGuard(ListenerLimits limits, std::size_t workers, std::size_t maxQueued,
                                 Logger& logger, http::SecondsClock clock)
    : limits_(limits),
      workers_(workers),
      maxQueued_(maxQueued),
      refusedConnections_(logger, kSource, {"connection refused", "connections refused"}, clock),
      closedConnections_(logger, kSource, {"connection closed", "connections closed"}, clock),
      refusedRequests_(logger, kSource, {"request refused", "requests refused"}, clock) {
  watchdog_ = std::thread([this] { watch(); });
}

ConnectionGuard::~ConnectionGuard() {
  stop();
}

bool ConnectionGuard::accept(const Poco::Net::StreamSocket& socket) {
  std::string address;
  try {
    address = socket.peerAddress().host().toString();
  } catch (const Poco::Exception&) {
    return false;  // the peer is already gone
  }
  std::string refusal;
  const char* kind = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (closing_) return false;
    const auto held = perAddress_.find(address);
    if (held != perAddress_.end() && held->second >= limits_.maxConnectionsPerAddress) {
      refusal = std::to_string(limits_.maxConnectionsPerAddress) +
                " connections from that address are open (http.maxConnectionsPerAddress)";
      kind = "over their address's cap";
    } else if (connections_.size() - served_ >= maxQueued_) {
      refusal =
          "every worker is busy and " + std::to_string(maxQueued_) + " connections wait for one";
      kind = "with the queue full";
    } else {
      ++perAddress_[address];
      Connection& connection = connections_[socket.impl()];
      connection.socket = socket;
      connection.address = address;
      // Waiting while every worker is busy: the watchdog makes room (makeRoom).
      if (served_ >= workers_) changed_.notify_all();
      return true;
    }
  }
  refusedConnections_.refused(kind, LogLevel::Warning,
                              "refused a connection from " + address + ": " + refusal);
  return false;
}

std::unique_ptr<ConnectionGuard::Admission> ConnectionGuard::serve(
    const Poco::Net::StreamSocket& socket) {
  std::lock_guard lock(mutex_);
  if (closing_) return nullptr;
  const auto found = connections_.find(socket.impl());
  if (found == connections_.end() || found->second.served) return nullptr;
  Connection& connection = found->second;
  connection.served = true;
  ++served_;
  const auto now = Clock::now();
  connection.deadline = now + limits_.requestDeadline;
  connection.waitingSince = now;
  changed_.notify_all();
  return std::make_unique<Admission>(*this, socket.impl());
}

void ConnectionGuard::release(Poco::Net::SocketImpl* key) noexcept {
  std::lock_guard lock(mutex_);
  const auto found = connections_.find(key);
  if (found != connections_.end()) forget(found);
}

void ConnectionGuard::forget(
    std::map<Poco::Net::SocketImpl*, Connection>::iterator found) noexcept {
  const auto held = perAddress_.find(found->second.address);
  if (held != perAddress_.end() && --held->second == 0) perAddress_.erase(held);
  if (found->second.served) --served_;
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
  Connection& connection = found->second;
  if (armed) {
    const auto now = Clock::now();
    connection.deadline = now + limits_.requestDeadline;
    if (!answering) connection.waitingSince = now;
  } else {
    connection.deadline.reset();
  }
  connection.answering = answering;
  changed_.notify_all();
}

void ConnectionGuard::watch() {
  std::unique_lock lock(mutex_);
  // The counts of a minute of refusals are logged soon after it has passed, not only at the
  // next refusal (maybe hours later) or stop().
  auto flushAt = Clock::now();
  while (!closing_) {
    forgetDropped();
    const auto now = Clock::now();
    auto wakeAt = now + kIdleWake;
    std::vector<Closing> closing = expired(now, wakeAt);
    for (auto& more : makeRoom(now, wakeAt)) closing.push_back(std::move(more));
    const bool flushDue = now >= flushAt;
    if (!closing.empty() || flushDue) {
      lock.unlock();
      for (auto& connection : closing) {
        shutDown(connection.socket);
        closedConnections_.refused(
            connection.kind, LogLevel::Warning,
            "closed a connection from " + connection.address + ": " + connection.reason);
      }
      if (flushDue) flushRefusals(false);
      lock.lock();
      if (flushDue) flushAt = now + kIdleWake;
      continue;
    }
    changed_.wait_until(lock, wakeAt);
  }
}

void ConnectionGuard::flushRefusals(bool now) noexcept {
  for (auto* log : {&refusedConnections_, &closedConnections_, &refusedRequests_}) {
    if (now)
      log->flush();
    else
      log->flushIfDue();
  }
}

std::vector<ConnectionGuard::Closing> ConnectionGuard::expired(Clock::time_point now,
                                                               Clock::time_point& wakeAt) {
  std::vector<Closing> closing;
  for (auto& [key, connection] : connections_) {
    if (!connection.deadline) continue;
    if (*connection.deadline <= now) {
      connection.deadline.reset();  // shut down once; the worker releases it soon after
      connection.ending = true;
      closing.push_back({connection.socket, connection.address,
                         (connection.answering ? "the answer was not taken" : "no whole request") +
                             std::string(" within ") +
                             std::to_string(limits_.requestDeadline.count()) + " ms",
                         connection.answering ? "not taking their answer in time"
                                              : "without a whole request in time"});
    } else if (*connection.deadline < wakeAt) {
      wakeAt = *connection.deadline;
    }
  }
  return closing;
}

std::vector<ConnectionGuard::Closing> ConnectionGuard::makeRoom(Clock::time_point now,
                                                                Clock::time_point& wakeAt) {
  const std::size_t waiting = connections_.size() - served_;
  if (served_ < workers_ || waiting == 0) return {};
  // Workers about to be free already (shut down, not released yet) count as room made.
  std::size_t ending = 0;
  std::vector<Connection*> idle;  // no whole request within the grace
  for (auto& [key, connection] : connections_) {
    if (connection.ending) {
      ++ending;
    } else if (connection.served && connection.deadline && !connection.answering) {
      const auto graceEnd = connection.waitingSince + kPressureGrace;
      if (graceEnd <= now)
        idle.push_back(&connection);
      else
        wakeAt = std::min(wakeAt, graceEnd);
    }
  }
  if (waiting <= ending || idle.empty()) return {};
  const auto count = static_cast<std::ptrdiff_t>(std::min(waiting - ending, idle.size()));
  std::partial_sort(
      idle.begin(), idle.begin() + count, idle.end(),
      [](const Connection* a, const Connection* b) { return a->waitingSince < b->waitingSince; });
  const std::string reason = "no whole request within " + std::to_string(kPressureGrace.count()) +
                             " ms while every worker was busy and connections waited for one";
  std::vector<Closing> closing;
  for (auto it = idle.begin(); it != idle.begin() + count; ++it) {
    Connection& connection = **it;
    connection.deadline.reset();
    connection.ending = true;
    closing.push_back({connection.socket, connection.address, reason,
                       "without a whole request while others waited for a worker"});
  }
  return closing;
}

void ConnectionGuard::forgetDropped() noexcept {
  // While a connection waits for a worker or is served, the server holds a reference to its
  // socket; when only the guard's is left, the server dropped it (its queue cleared on stop, an
  // error after accepting): its count must not lock the address out.
  for (auto it = connections_.begin(); it != connections_.end();) {
    const auto next = std::next(it);
    if (!it->second.served && it->second.socket.impl()->referenceCount() == 1) forget(it);
    it = next;
  }
}

void ConnectionGuard::stop() noexcept {
  std::vector<Poco::Net::StreamSocket> open;
  bool stopped = false;
  {
    std::lock_guard lock(mutex_);
    stopped = closing_ && !watchdog_.joinable();
    if (!stopped) {
      closing_ = true;
      for (auto& [key, connection] : connections_) open.push_back(connection.socket);
      changed_.notify_all();
    }
  }
  if (!stopped) {
    for (auto& socket : open) shutDown(socket);
    if (watchdog_.joinable()) watchdog_.join();
  }
  flushRefusals(true);
}

}  // namespace dms::host
