#include "support/TokenExpiryWaves.h"

namespace dms::test {

TokenExpiryWaves::TokenExpiryWaves(const SandboxProcess& sandbox, int waves,
                                   std::size_t downloadsBefore, std::chrono::milliseconds pause)
    : sandbox_(sandbox),
      thread_([this, waves, downloadsBefore, pause] { run(waves, downloadsBefore, pause); }) {}

TokenExpiryWaves::~TokenExpiryWaves() {
  stop_ = true;
  thread_.join();
}

template <typename Done>
bool TokenExpiryWaves::waitFor(Done done) {
  while (!stop_) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void TokenExpiryWaves::run(int waves, std::size_t downloadsBefore,
                           std::chrono::milliseconds pause) {
  try {
    if (!waitFor([&] { return sandbox_.requestCount("download") >= downloadsBefore; })) return;
    for (int wave = 0; wave < waves; ++wave) {
      const std::size_t hitsBefore = sandbox_.faultsHit("download");
      // The refusal first: queued after the expiry, the renewal could come before it.
      sandbox_.addFault("token", "status", 1, 400);
      sandbox_.addFault("download", "expire", 1);
      if (!waitFor([&] { return sandbox_.faultsHit("download") > hitsBefore; })) return;
      ++hit_;
      const auto next = std::chrono::steady_clock::now() + pause;
      if (!waitFor([&] { return std::chrono::steady_clock::now() >= next; })) return;
    }
  } catch (const std::exception&) {
    // The sandbox went away (the test ended): nothing left to drive.
  }
}

}  // namespace dms::test
