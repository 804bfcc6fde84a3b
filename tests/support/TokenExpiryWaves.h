#pragma once
/// Drives a SandboxProcess from a background thread so that every access token becomes invalid
/// in "waves" while a client downloads: each wave (once the client has made a few downloads)
/// queues one `download:expire` fault (that request expires every token, so the downloads
/// holding connections meet a 401 while another thread renews) and one refused token request
/// (the refresh grant fails as if revoked; the password grant follows). The next wave comes
/// only after the previous one was hit plus a pause, so that a call rarely meets more than
/// one expiry (a call renews at most 3 times, by design). Issue 13 item 1's deadlock tests use it.
///
/// The destructor stops the thread (within one poll interval). Thread-safe towards the
/// sandbox: SandboxProcess opens a connection per call.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>

#include "support/SandboxProcess.h"

namespace dms::test {

class TokenExpiryWaves {
 public:
  /// Starts the thread: up to `waves` waves, the first after `downloadsBefore` download
  /// requests, then one wave `pause` after the previous one was hit.
  TokenExpiryWaves(const SandboxProcess& sandbox, int waves, std::size_t downloadsBefore,
                   std::chrono::milliseconds pause = std::chrono::milliseconds(300));
  ~TokenExpiryWaves();
  TokenExpiryWaves(const TokenExpiryWaves&) = delete;
  TokenExpiryWaves& operator=(const TokenExpiryWaves&) = delete;

  /// Waves whose expiry fault a download request has hit so far.
  int wavesHit() const { return hit_.load(); }

 private:
  void run(int waves, std::size_t downloadsBefore, std::chrono::milliseconds pause);
  /// Polls `done` every few ms until it is true or stop; false when stopped.
  template <typename Done>
  bool waitFor(Done done);

  const SandboxProcess& sandbox_;
  std::atomic<bool> stop_{false};
  std::atomic<int> hit_{0};
  std::thread thread_;
};

}  // namespace dms::test
