// dms-host's ConnectionGuard in-process, with real loopback connections: what the server cannot
// be made to do from outside (drop a connection it accepted without serving it) must not leave
// a count behind.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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

/// A guard for one worker, a cap of 1 per address, and loopback connections to give it.
class ConnectionGuardTest : public ::testing::Test {
 protected:
  dms::test::CapturingLogger logger_;
  ConnectionGuard guard_{ListenerLimits{std::chrono::seconds(10), 1}, 1, 4, logger_};
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

}  // namespace
