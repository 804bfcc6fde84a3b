#pragma once
/// The Ambita plugin: files documents ordered from Ambita into the host's document target.
/// Wires the API client (api/), the filing engine (filing/) and push reception (push/) into
/// the host SDK's Plugin interface:
///   - create(): validates the "ambita" section, opens the state database, builds everything;
///     starts no thread.
///   - startService(): takes the data-dir lock (and, under it, has the target recover() what
///     puts of a killed process left), resolves what an interrupted run left, clears the spool,
///     starts the push workers and the poller. sync and verify --repair do the same per command.
///   - stop(): cancels calls in flight, joins every thread, releases the lock; idempotent.
///   - routes(): POST push.path (default /ambita/push).
///   - commands: products, order (client) and sync, track, status, preview, verify, audit.
/// Nothing throws out of it: errors come back as dms::Result, exit codes or HTTP answers.

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/AmbitaClient.h"
#include "commands/AdminCommands.h"
#include "commands/OrderCommand.h"
#include "dms/Plugin.h"
#include "events/EventDelivery.h"
#include "filing/FilingConfig.h"
#include "filing/FilingService.h"
#include "filing/Reconciler.h"
#include "filing/StateStore.h"
#include "metrics/PluginMetrics.h"
#include "push/Poller.h"
#include "push/PushEndpoint.h"
#include "push/PushInbox.h"
#include "push/PushWorkers.h"

namespace ambita {

class AmbitaPlugin final : public dms::Plugin {
 public:
  /// Validates the configuration and builds the plugin. Errors: InvalidArgument naming the key
  /// (e.g. "ambita.filing.folderTemplate: unknown placeholder {foo} ..."), or the state
  /// database's error.
  static dms::Result<std::unique_ptr<AmbitaPlugin>> create(const dms::HostServices& services);

  /// Like create(), but the filing engine talks to `orderApi` instead of the client (engine
  /// tests with a fake API). `orderApi` must outlive the plugin.
  static dms::Result<std::unique_ptr<AmbitaPlugin>> createWithOrderApiForTest(
      const dms::HostServices& services, api::OrderApi& orderApi);

  ~AmbitaPlugin() override;

  static dms::PluginInfo pluginInfo();
  /// The "ambita" section's options: the client's, the engine's (filing, push, poll) and the
  /// order limits. create() reads the section through it (OptionReader).
  static dms::ConfigSchema configSchema();

  // dms::Plugin
  dms::PluginInfo info() const override { return pluginInfo(); }
  dms::Status startService() override;
  void stop() noexcept override;
  std::vector<dms::Route> routes() override;
  std::vector<dms::CommandSpec> commands() const override;
  int runCommand(const std::string& name, const std::vector<std::string>& args,
                 const dms::CommandIO& io) noexcept override;

  /// `order`'s confirmation reads the answer from `fd` instead of stdin (a pseudo-terminal).
  void setTerminalInputForTest(int fd) { terminalInput_ = fd; }
  filing::StateStore& stateForTest() { return *store_; }
  push::PushWorkers& workersForTest() { return *workers_; }
  events::EventDelivery& eventsForTest() { return *events_; }

 private:
  AmbitaPlugin() = default;
  static dms::Result<std::unique_ptr<AmbitaPlugin>> build(const dms::HostServices& services,
                                                          api::OrderApi* orderApiOverride);
  void onOrderCreated(const api::OrderCollection& order, const api::NewOrder& request) noexcept;
  /// stop(): cancels the commands in flight (a verify ends before its next file; their waits,
  /// the API commands' calls among them, end with stop()'s other cancels) and refuses commands
  /// until stop() returns (stopping_); how many run.
  int cancelCommands();
  /// stop(): waits (at most kLongestCommandStopSeconds) until no command runs, logs the
  /// `cancelled` ones, and lets later commands run whole again.
  void waitForCommands(int cancelled);
  /// A stop() runs (stopping_): what a command waits for without the client (`order`'s
  /// question on the terminal) asks this between short waits.
  bool stopRequested();

  dms::HostServices services_;
  filing::FilingConfig config_;
  commands::OrderLimits orderLimits_;
  std::unique_ptr<api::AmbitaClient> client_;
  api::OrderApi* orderApi_ = nullptr;  ///< client_ or a test's fake
  std::unique_ptr<filing::StateStore> store_;
  std::unique_ptr<filing::Reconciler> reconciler_;
  std::unique_ptr<filing::FilingService> service_;
  std::unique_ptr<push::PushInbox> inbox_;
  std::unique_ptr<push::PushEndpoint> endpoint_;
  std::unique_ptr<push::PushWorkers> workers_;
  std::unique_ptr<push::Poller> poller_;
  std::unique_ptr<commands::AdminCommands> admin_;

  std::mutex lifecycleMutex_;
  // --- commands in flight (issue 15, gaps2; the API commands too since stopall): stop() cancels
  // them (their waits end, a verify stops at its next file) and waits for them before it releases
  // the data folder's lock, so a host stopping on SIGTERM does not wait for a command to finish
  // first.
  static constexpr int kLongestCommandStopSeconds = 30;
  std::mutex commandsMutex_;
  std::condition_variable commandsEnded_;
  int commandsInFlight_ = 0;
  /// stop() runs (from cancelCommands() until it returns): commands are refused.
  bool stopping_ = false;
  int terminalInput_ = STDIN_FILENO;                 ///< where `order` reads its confirmation
  std::optional<filing::ExclusiveRun> serviceLock_;  ///< held while the service runs
  bool running_ = false;

  // --- status as data: the action commands (sync --order, retry, verify --repair) reach the
  // running service through this instead of taking the data folder's lock a second time.
  class CommandQueue final : public commands::RunningService {
   public:
    explicit CommandQueue(AmbitaPlugin& plugin) : plugin_(plugin) {}
    bool running() const override { return plugin_.serviceRunning_.load(); }
    /// Queues the order into the push inbox (durable: a stop right after only delays it to
    /// the next start) and wakes a worker.
    dms::Result<bool> queueOrder(std::int64_t orderId) override;

   private:
    AmbitaPlugin& plugin_;
  };
  /// running_ for the commands, read without lifecycleMutex_ (a command never waits for a
  /// start or stop in progress).
  std::atomic<bool> serviceRunning_{false};
  CommandQueue commandQueue_{*this};
  // document events (issue 10): the outbox's delivery to services_.eventSink; its thread runs
  // while the service runs, and `sync` delivers what it can before it returns.
  std::unique_ptr<events::EventDelivery> events_;
  // --- metrics (issue 9): one registry per plugin object, rendered by metricsText()
 public:
  std::string metricsText() noexcept override;

 private:
  std::unique_ptr<metrics::PluginMetrics> metrics_;
};

}  // namespace ambita
