#include "AmbitaPlugin.h"

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <filesystem>

#include "api/ClientOptions.h"
#include "api/Origin.h"
#include "commands/OrderCommand.h"
#include "commands/OrderLimits.h"
#include "commands/ProductsCommand.h"
#include "commands/QuoteCommand.h"
#include "commands/TerminalPrompt.h"
#include "dms/config/OptionReader.h"
#include "filing/PostgresLocation.h"
#include "filing/StateStoreFactory.h"

namespace ambita {
namespace {

constexpr const char* kSource = "ambita";

/// Order ids are unique only within one API and client: a state made for another one (the
/// demo's sandbox, Ambita's test API) would take its orders for these. The first open records
/// the API; a different one is refused, naming both.
dms::Status checkStateBelongsTo(filing::StateStore& store, const api::ClientOptions& options,
                                const std::string& stateName) {
  auto origin = api::Origin::of(Poco::URI(options.baseUrl));
  if (!origin)
    return dms::fail(dms::ErrorCode::InvalidArgument, "ambita.baseUrl: " + origin.error().message);
  filing::ApiIdentity configured{origin->str(), options.clientId, filing::AuditLog::now()};
  auto recorded = store.claimApiIdentity(configured);
  if (!recorded) return recorded.error();
  if (*recorded == configured) return {};
  const auto describe = [](const filing::ApiIdentity& id) {
    return id.origin + " (client id '" + id.clientId + "')";
  };
  return dms::fail(dms::ErrorCode::InvalidArgument,
                   "ambita: the state in " + stateName + " was made for the Ambita API " +
                       describe(*recorded) + " on " + recorded->recordedAt +
                       ", but ambita.baseUrl and ambita.clientId name " + describe(configured) +
                       ": order ids of different APIs collide, so the two are never mixed; use "
                       "another dataDir or state.url for this API (or configure the recorded "
                       "one again)");
}

/// Where the state is, for messages: the data folder, or the database (never its password).
std::string stateName(const dms::HostServices& services) {
  if (services.stateUrl.empty()) return services.dataDir;
  auto location = filing::PostgresLocation::parse(services.stateUrl);
  return location ? location->display() : std::string("state.url");
}

}  // namespace

dms::PluginInfo AmbitaPlugin::pluginInfo() {
  return {"ambita", "0.1.0", "Files documents ordered from Ambita into the document target",
          "ambita"};
}

dms::ConfigSchema AmbitaPlugin::configSchema() {
  dms::ConfigSchema schema;
  schema.options = api::clientConfigOptions();
  for (auto& option : filing::filingConfigOptions()) schema.options.push_back(std::move(option));
  for (auto& option : commands::orderConfigOptions()) schema.options.push_back(std::move(option));
  return schema;
}

dms::Result<std::unique_ptr<AmbitaPlugin>> AmbitaPlugin::create(const dms::HostServices& services) {
  return build(services, nullptr);
}

dms::Result<std::unique_ptr<AmbitaPlugin>> AmbitaPlugin::createWithOrderApiForTest(
    const dms::HostServices& services, api::OrderApi& orderApi) {
  return build(services, &orderApi);
}

dms::Result<std::unique_ptr<AmbitaPlugin>> AmbitaPlugin::build(const dms::HostServices& services,
                                                               api::OrderApi* orderApiOverride) {
  try {
    if (services.logger == nullptr)
      return dms::fail(dms::ErrorCode::InvalidArgument, "ambita: no logger given");
    if (!services.target)
      return dms::fail(dms::ErrorCode::InvalidArgument, "ambita: no document target given");
    if (services.dataDir.empty())
      return dms::fail(dms::ErrorCode::InvalidArgument, "ambita: no data folder given");
    // The whole section against the schema, whichever host embeds the plugin: unknown and
    // dotted keys, types and missing options are refused here, naming the key path.
    auto reader = dms::config::OptionReader::parse(services.configJson, configSchema(), "ambita");
    if (!reader) return reader.error();
    for (const auto& warning : reader->warnings()) services.logger->warning(kSource, warning);
    auto clientOptions = api::parseClientOptions(*reader);
    if (!clientOptions) return clientOptions.error();
    auto filingConfig = filing::parseFilingConfig(*reader);
    if (!filingConfig) return filingConfig.error();
    auto orderLimits = commands::parseOrderLimits(*reader);
    if (!orderLimits) return orderLimits.error();

    std::error_code ec;
    std::filesystem::create_directories(services.dataDir, ec);
    if (ec)
      return dms::fail(dms::ErrorCode::Unavailable,
                       "ambita: data folder " + services.dataDir + ": " + ec.message());
    auto store = filing::openStateStore(services.stateUrl, services.dataDir);
    if (!store) return store.error();
    if (auto s = checkStateBelongsTo(**store, *clientOptions, stateName(services)); !s)
      return s.error();

    std::unique_ptr<AmbitaPlugin> plugin(new AmbitaPlugin);
    plugin->services_ = services;
    plugin->config_ = std::move(*filingConfig);
    plugin->orderLimits_ = *orderLimits;
    clientOptions->userAgent =
        (services.hostName.empty() ? std::string("dms-host") : services.hostName) +
        " ambita-plugin/0.1.0";
    plugin->client_ =
        std::make_unique<api::AmbitaClient>(std::move(*clientOptions), services.logger);
    plugin->orderApi_ = orderApiOverride ? orderApiOverride : plugin->client_.get();
    plugin->store_ = std::move(*store);
    plugin->reconciler_ = std::make_unique<filing::Reconciler>(
        *plugin->orderApi_, *services.target, *plugin->store_, plugin->config_, *services.logger,
        std::filesystem::path(services.dataDir) / "spool");
    plugin->service_ = std::make_unique<filing::FilingService>(
        *plugin->reconciler_, *plugin->store_, *services.target, plugin->config_, services.dataDir);
    plugin->inbox_ =
        std::make_unique<push::PushInbox>(*plugin->store_, plugin->config_.pushMaxQueuedOrders);
    plugin->endpoint_ = std::make_unique<push::PushEndpoint>(*plugin->inbox_, *services.logger,
                                                             plugin->config_.pushSecret,
                                                             plugin->config_.pushMaxBytes);
    push::OrderRetry retry;
    retry.maxDelay = std::int64_t{plugin->config_.pushRetryMaxMinutes} * 60;
    retry.giveUpAfter = std::int64_t{plugin->config_.pushRetryDays} * 24 * 60 * 60;
    plugin->workers_ = std::make_unique<push::PushWorkers>(
        *plugin->inbox_, *plugin->service_, *services.logger, plugin->config_.pollWorkers, retry);
    plugin->poller_ =
        std::make_unique<push::Poller>(*plugin->inbox_, *services.logger,
                                       std::chrono::minutes(plugin->config_.pollIntervalMinutes),
                                       plugin->config_.pollFinishedDays);
    plugin->admin_ = std::make_unique<commands::AdminCommands>(*plugin->service_, plugin->config_,
                                                               &plugin->commandQueue_);
    events::DeliveryOptions delivery;
    delivery.maxPending = plugin->config_.eventsMaxPending;
    delivery.retryMaxSeconds = plugin->config_.eventsRetryMaxSeconds;
    plugin->events_ = std::make_unique<events::EventDelivery>(*plugin->store_, services.eventSink,
                                                              *services.logger, delivery);
    plugin->metrics_ = std::make_unique<metrics::PluginMetrics>();
    plugin->metrics_->sampleFrom(*plugin->store_, plugin->client_->callCounters());
    plugin->metrics_->sampleTargetLeftovers(
        [service = plugin->service_.get()] { return service->targetLeftovers().has_value(); });
    plugin->reconciler_->countInto(&plugin->metrics_->filing());
    plugin->endpoint_->countInto(&plugin->metrics_->push());
    plugin->inbox_->countInto(&plugin->metrics_->push());
    return plugin;
  } catch (const std::exception& e) {
    return dms::fail(dms::ErrorCode::Internal, std::string("ambita: ") + e.what());
  }
}

AmbitaPlugin::~AmbitaPlugin() {
  stop();
}

dms::Status AmbitaPlugin::startService() {
  try {
    std::lock_guard lock(lifecycleMutex_);
    if (running_) return {};
    auto exclusive = service_->beginExclusiveRun();
    if (!exclusive) return exclusive.error();
    // A target that is down now only delays recovery (each order's reconcile recovers its own
    // intents first).
    if (!exclusive->recovery())
      services_.logger->warning(kSource,
                                "recovery postponed: " + exclusive->recovery().error().describe());
    if (const auto& problem = exclusive->spoolProblem())
      services_.logger->warning(kSource, *problem);
    serviceLock_.emplace(std::move(*exclusive));
    // Push acks wait for commits: their syncs stay short once the log has its size (issue 15).
    store_->reserveCommitLog();
    // ... and no ack waits for a checkpoint: the push workers run them (issue 15, pushtail).
    store_->moveCheckpointsOffCommits();
    client_->resume();
    inbox_->resume();  // push group commit (issue 15)
    workers_->start();
    poller_->start();
    events_->start();
    running_ = true;
    serviceRunning_ = true;
    services_.logger->info(kSource, "service started: push on " + config_.pushPath +
                                        ", polling every " +
                                        std::to_string(config_.pollIntervalMinutes) +
                                        " min, filing into " + services_.target->describe());
    return {};
  } catch (const std::exception& e) {
    return dms::fail(dms::ErrorCode::Internal,
                     std::string("ambita: starting the service: ") + e.what());
  }
}

void AmbitaPlugin::stop() noexcept {
  try {
    std::lock_guard lock(lifecycleMutex_);
    if (!running_) return;
    store_->cancelWaits();  // a poller or worker waiting for a database connection ends at once
    // A verify beside the service ends soon; commands arriving from now on are refused until
    // stop() returns (one would resume the client cancelled below, or outlive the lock).
    const int commands = cancelCommands();
    struct RefuseUntilReturn {
      AmbitaPlugin& plugin;
      ~RefuseUntilReturn() {
        std::lock_guard commandsLock(plugin.commandsMutex_);
        plugin.stopping_ = false;
      }
    } refuseUntilReturn{*this};
    serviceRunning_ = false;  // commands from now on take the lock themselves, after us
    poller_->stop();
    inbox_->stop();  // push group commit (issue 15): pushes waiting for a commit answer now
    // The workers learn of the stop first: what the cancels below cut short is abandoned for
    // the next start, not a failed attempt put into a backoff.
    workers_->requestStop();
    // Downloads, backoff sleeps and the target's waits (a WebDAV Retry-After pause) end at
    // once; intents left open are recovered next start.
    client_->cancel();
    services_.target->cancel();
    workers_->stop();
    events_->stop();
    waitForCommands(commands);   // their waits ended above: they end, then the lock is released
    services_.target->resume();  // commands (and the host) may use the target again
    store_->resumeWaits();
    reconciler_->releasePool();
    serviceLock_.reset();
    running_ = false;
    endpoint_->logHeldBackRefusals();  // refused pushes counted this minute are not lost
    services_.logger->info(kSource, "service stopped");
  } catch (...) {  // NOLINT: stop() must not throw; nothing more can be done here
  }
}

int AmbitaPlugin::cancelCommands() {
  std::lock_guard lock(commandsMutex_);
  stopping_ = true;
  service_->cancelCommands();
  return commandsInFlight_;
}

bool AmbitaPlugin::stopRequested() {
  std::lock_guard lock(commandsMutex_);
  return stopping_;
}

void AmbitaPlugin::waitForCommands(int cancelled) {
  std::unique_lock lock(commandsMutex_);
  if (commandsEnded_.wait_for(lock, std::chrono::seconds(kLongestCommandStopSeconds),
                              [&] { return commandsInFlight_ == 0; })) {
    if (cancelled > 0)
      services_.logger->warning(
          kSource, "stop: cancelled " + std::to_string(cancelled) + " command(s) in flight");
  } else {
    services_.logger->error(kSource, "stop: " + std::to_string(commandsInFlight_) +
                                         " command(s) still running after " +
                                         std::to_string(kLongestCommandStopSeconds) +
                                         " s; stopping without waiting for them");
  }
  service_->resumeCommands();
}

std::vector<dms::Route> AmbitaPlugin::routes() {
  dms::Route route;
  route.method = "POST";
  route.path = config_.pushPath;
  route.maxBodyBytes = config_.pushMaxBytes;
  auto* endpoint = endpoint_.get();
  route.handler = [endpoint](const dms::HttpRequest& request) { return endpoint->handle(request); };
  if (config_.pushSecret.empty())
    route.openWarning =
        "ambita.push.secret is not set: anyone who can reach http.listen can queue pushes "
        "(set it, and give Ambita the callback URL with ?token=<secret>)";
  return {route};
}

std::vector<dms::CommandSpec> AmbitaPlugin::commands() const {
  std::vector<dms::CommandSpec> specs{
      {"products", commands::kProductsUsage, "Ambita's product catalogue for a municipality"},
      {"quote", commands::kQuoteUsage, "The price of an order (net, VAT, gross) without ordering"},
      {"order", commands::kOrderUsage,
       "Place an Ambita order (prints its price first; tracked and filed from then on)"},
  };
  for (auto& spec : commands::AdminCommands::specs()) specs.push_back(std::move(spec));
  return specs;
}

void AmbitaPlugin::onOrderCreated(const api::OrderCollection& order,
                                  const api::NewOrder& request) noexcept {
  try {
    filing::TrackedOrder tracked;
    tracked.id = order.id;
    tracked.origin = filing::OrderOrigin::Created;
    tracked.reference = request.reference;
    tracked.technicalReference = request.technicalReference;
    tracked.status = order.status;
    try {
      Poco::JSON::Parser parser;
      auto data = parser.parse(request.orderDataJson).extract<Poco::JSON::Object::Ptr>();
      if (data) {
        tracked.cadastre = data->optValue<std::string>("cadastre", "");
        tracked.address = data->optValue<std::string>("address", "");
      }
    } catch (const Poco::Exception&) {  // share/map orders carry no cadastre or address
    }
    if (auto isNew = service_->track(tracked, filing::Reason::Admin, "created here"); !isNew)
      services_.logger->error(
          kSource, "order " + std::to_string(order.id) + " was created but could not be tracked: " +
                       isNew.error().describe() + "; run: track " + std::to_string(order.id));
  } catch (...) {  // NOLINT: the order exists; never fail the command over bookkeeping
  }
}

int AmbitaPlugin::runCommand(const std::string& name, const std::vector<std::string>& args,
                             const dms::CommandIO& io) noexcept {
  try {
    const bool apiCommand = name == "products" || name == "quote" || name == "order";
    if (!apiCommand && !commands::AdminCommands::handles(name)) {
      if (io.err) *io.err << "unknown command: " << name << "\n";
      return 2;
    }
    // Every command, the API ones (products, quote, order) as the admin ones, is counted while
    // it runs: stop() cancels it and waits for its end (waitForCommands). The count, the check
    // for a stop() in progress and the client's resume (after a stop() the client stays
    // cancelled) are one step under commandsMutex_: stop() marks itself there before it
    // cancels the client, so a command never resumes a client stop() cancelled.
    struct InFlight {
      AmbitaPlugin& plugin;
      bool refused = false;
      explicit InFlight(AmbitaPlugin& p) : plugin(p) {
        std::lock_guard lock(plugin.commandsMutex_);
        refused = plugin.stopping_;
        if (refused) return;
        ++plugin.commandsInFlight_;
        plugin.client_->resume();
      }
      ~InFlight() {
        if (refused) return;
        {
          std::lock_guard lock(plugin.commandsMutex_);
          --plugin.commandsInFlight_;
        }
        plugin.commandsEnded_.notify_all();
      }
      InFlight(const InFlight&) = delete;
      InFlight& operator=(const InFlight&) = delete;
    } inFlight(*this);
    if (inFlight.refused) {
      if (io.err)
        *io.err << name
                << ": the plugin is stopping (the service is being stopped); run the command "
                   "again once stop() has returned\n";
      return 1;
    }
    if (name == "products") return commands::runProductsCommand(*client_, args, io);
    if (name == "quote") return commands::runQuoteCommand(*client_, args, io);
    if (name == "order")
      return commands::runOrderCommand(
          *client_, args, io, orderLimits_,
          [this, &io](const std::string& question) {
            // stop() ends the question (it waits for this command): nothing is ordered then.
            return commands::askYesNoOnTerminal(terminalInput_, *io.err, question,
                                                [this] { return stopRequested(); });
          },
          [this](const api::OrderCollection& order, const api::NewOrder& request) {
            onOrderCreated(order, request);
          });
    const int code = admin_->run(name, args, io);
    // What the sync filed reaches the host now, not only when a service runs next (what the
    // host refuses stays in the outbox for the service).
    if (name == "sync") events_->deliverDue();
    return code;
  } catch (const std::exception& e) {
    if (io.err) *io.err << name << ": unexpected error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    if (io.err) *io.err << name << ": unexpected error\n";
    return 1;
  }
}

dms::Result<bool> AmbitaPlugin::CommandQueue::queueOrder(std::int64_t orderId) {
  if (!running()) return false;
  api::PushMessage message;
  message.orderCollectionId = orderId;
  if (auto s = plugin_.inbox_->add(message, "sync"); !s) return s.error();
  return true;
}

std::string AmbitaPlugin::metricsText() noexcept {
  try {
    return metrics_ ? metrics_->render() : std::string();
  } catch (...) {
    return {};  // out of memory: no metrics rather than an exception across the boundary
  }
}

}  // namespace ambita
