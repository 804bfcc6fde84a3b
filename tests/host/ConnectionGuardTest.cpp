// dms-host's ConnectionGuard in-process, with real loopback connections: what the server cannot
// be made to do from outside (drop a connection it accepted without serving it) must not leave
// a count behind, and what clients cause at will (refused or closed connections) cannot flood
// the log.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "ConnectionGuard.h"
#include "support/CapturingLogger.h"

namespace {

using dms::host::ConnectionGuard;
using dms::host::ListenerLimits;

/// A loopback listener; each connect() returns the server's side of a new connection.
class Loopback {
 public:
  Loopback() : server_(Poco::Net::SocketAddress("127.0.0.1", 0)) {}
  Poco::Net::StreamSocket connect() {
    clients_.emplace_back(server_.address());
    return server_.acceptConnection();
  }

 private:
  Poco::Net::ServerSocket server_;
  std::vector<Poco::Net::StreamSocket> clients_;
};

/// A guard for one worker, a cap of 1 per address, and loopback connections to give it; the
/// refusal logs' clock is moved by the tests.
class ConnectionGuardTest : public ::testing::Test {
 protected:
  /// The logged lines that contain `text`.
  std::size_t linesWith(const std::string& text) const {
    std::size_t n = 0;
    for (const auto& line : logger_.lines()) n += line.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  /// Waits (3 s at most) until a line contains `text`.
  bool waitForLineWith(const std::string& text) const {
    for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
         std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(std::chrono::milliseconds(20)))
      if (linesWith(text) > 0) return true;
    return false;
  }

  dms::test::CapturingLogger logger_;
  std::atomic<std::int64_t> seconds_{1000};
  const std::function<std::int64_t()> clock_ = [this] { return seconds_.load(); };
  ConnectionGuard guard_{ListenerLimits{std::chrono::seconds(10), 1}, 1, 4, logger_, clock_};
  Loopback loopback_;
};

// The server (Poco's TCPServer) may drop an accepted connection without serving it: its queue
// cleared on stop, an error after the filter accepted it. Once the guard holds the last
// reference to the socket, the address's count is released.
TEST_F(ConnectionGuardTest, ReleasesAConnectionTheServerDroppedWithoutServingIt) {
  auto dropped = loopback_.connect();
  ASSERT_TRUE(guard_.accept(dropped));
  const auto second = loopback_.connect();
  EXPECT_FALSE(guard_.accept(second)) << "the cap of 1 counts a connection waiting for a worker";
  EXPECT_NE(logger_.text().find("refused a connection from 127.0.0.1: 1 connections from that "
                                "address are open"),
            std::string::npos)
      << logger_.text();

  dropped = Poco::Net::StreamSocket();  // the server lets go of it, unserved
  bool accepted = false;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
       !accepted && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(50)))
    accepted = guard_.accept(second);
  EXPECT_TRUE(accepted) << "the dropped connection still counts against its address";
}

// A served connection is never taken for dropped, however long it waits for its request.
TEST_F(ConnectionGuardTest, KeepsCountingAServedConnection) {
  auto served = loopback_.connect();
  ASSERT_TRUE(guard_.accept(served));
  const auto admission = guard_.serve(served);
  ASSERT_NE(admission, nullptr);
  served = Poco::Net::StreamSocket();  // only the guard's reference is left, as for a dropped one
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // a watchdog round and more
  EXPECT_FALSE(guard_.accept(loopback_.connect()));
}

// Any client can open connections in a loop: each refused one logged its own line, so the log
// (and the disk under it) grew without bound. The first refusal of a minute is logged in full,
// the rest of the minute as one line with their count, which the watchdog logs once the minute
// has passed (no further refusal needed); a new minute logs its first refusal in full again.
TEST_F(ConnectionGuardTest, AFloodOfRefusedConnectionsCostsOneLineAndOneCountAMinute) {
  const auto held = loopback_.connect();
  ASSERT_TRUE(guard_.accept(held));
  for (int i = 0; i < 200; ++i) ASSERT_FALSE(guard_.accept(loopback_.connect())) << i;
  EXPECT_EQ(linesWith("refused a connection from 127.0.0.1: 1 connections from that address "
                      "are open"),
            1u)
      << logger_.text().substr(0, 2000);
  EXPECT_EQ(logger_.lines().size(), 1u) << logger_.text().substr(0, 2000);

  seconds_ += 60;
  const std::string summary =
      "199 more connections refused in that minute (199 over their address's cap; not logged one "
      "by one)";
  EXPECT_TRUE(waitForLineWith(summary)) << logger_.text();
  EXPECT_EQ(logger_.lines().size(), 2u) << logger_.text();
  EXPECT_FALSE(guard_.accept(loopback_.connect()));
  EXPECT_EQ(linesWith("refused a connection from 127.0.0.1"), 2u) << logger_.text();
  EXPECT_EQ(linesWith(summary), 1u) << logger_.text();
}

// stop() logs what the minute held back: a count is never lost for want of a next refusal.
TEST_F(ConnectionGuardTest, StopLogsTheRefusalsHeldBack) {
  const auto held = loopback_.connect();
  ASSERT_TRUE(guard_.accept(held));
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(guard_.accept(loopback_.connect()));
  guard_.stop();
  EXPECT_EQ(linesWith("refused a connection from 127.0.0.1"), 1u) << logger_.text();
  EXPECT_EQ(linesWith("4 more connections refused in that minute (4 over their address's cap; "
                      "not logged one by one)"),
            1u)
      << logger_.text();
}

// Connections closed at their deadline are caused at will too (connect, send nothing): one line
// in full, the rest counted; the requests a listener refuses (413, 400) are counted apart.
TEST_F(ConnectionGuardTest, ConnectionsClosedAtTheirDeadlineAreLoggedBounded) {
  ConnectionGuard guard(ListenerLimits{std::chrono::milliseconds(100), 8}, 8, 8, logger_, clock_);
  std::vector<Poco::Net::StreamSocket> sockets;
  std::vector<std::unique_ptr<ConnectionGuard::Admission>> admissions;
  for (int i = 0; i < 6; ++i) {
    sockets.push_back(loopback_.connect());
    ASSERT_TRUE(guard.accept(sockets.back()));
    admissions.push_back(guard.serve(sockets.back()));
    ASSERT_NE(admissions.back(), nullptr);
  }
  guard.refusedRequests().refused("answered 413", dms::LogLevel::Info, "POST /x -> 413");
  guard.refusedRequests().refused("answered 413", dms::LogLevel::Info, "POST /x -> 413");
  // Each socket is shut down by the watchdog at its deadline: its reads end.
  for (auto& socket : sockets) {
    socket.setReceiveTimeout(Poco::Timespan(3, 0));
    char byte = 0;
    EXPECT_EQ(socket.receiveBytes(&byte, 1), 0) << "not closed at its deadline";
  }
  admissions.clear();
  guard.stop();
  EXPECT_EQ(linesWith("closed a connection from 127.0.0.1: no whole request within 100 ms"), 1u)
      << logger_.text();
  EXPECT_EQ(linesWith("5 more connections closed in that minute (5 without a whole request in "
                      "time; not logged one by one)"),
            1u)
      << logger_.text();
  EXPECT_EQ(linesWith("POST /x -> 413"), 1u) << logger_.text();
  EXPECT_EQ(linesWith("1 more request refused in that minute (1 answered 413"), 1u)
      << logger_.text();
}

}  // namespace
