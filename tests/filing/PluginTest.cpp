#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "AmbitaPlugin.h"
#include "AmbitaPluginFactory.h"
#include "EngineFixture.h"
#include "dms/common/BookkeepingNames.h"
#include "support/FaultInjectingTarget.h"
#include "support/TestStream.h"

namespace ambita::test {
namespace {

const char* kSecret = "pu5h-s3cret-value";

/// Holds a put in flight: wait() (a TestStream action) blocks the reader until open(). The
/// target has created its temporary by the time the reader blocks.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    blocked_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  /// True once the reader waits at the gate (false after `timeout`).
  bool waitUntilBlocked(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return blocked_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool blocked_ = false;
  bool open_ = false;
};

/// The plugin as a host uses it, with the fake API in place of Ambita.
class PluginTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    closeEngine();  // the plugin opens its own engine on the same data folder
    sharedTarget_ =
        std::shared_ptr<dms::DocumentTarget>(fsTarget_.get(), [](dms::DocumentTarget*) {});
  }
  void TearDown() override {
    plugin_.reset();
    EngineFixture::TearDown();
  }

  std::string section(const std::string& extra = "") const {
    return std::string(
               R"({"baseUrl": "http://127.0.0.1:9", "clientId": "id", "clientSecret": "client-s3cret",
                           "username": "u", "password": "p4ssword")") +
           (extra.empty() ? "" : ", " + extra) + "}";
  }

  dms::HostServices services(const std::string& configJson) {
    dms::HostServices s;
    s.logger = &logger_;
    s.dataDir = dataDir_;
    s.configJson = configJson;
    s.target = sharedTarget_;
    s.hostName = "dms-host test";
    return s;
  }

  void makePlugin(const std::string& extra = "") {
    auto p = AmbitaPlugin::createWithOrderApiForTest(services(section(extra)), api_);
    ASSERT_TRUE(p.ok()) << p.error().describe();
    plugin_ = std::move(*p);
  }

  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run run(const std::string& name, const std::vector<std::string>& args, bool terminal = false) {
    std::ostringstream out, err;
    dms::CommandIO io{&out, &err, terminal};
    const int code = plugin_->runCommand(name, args, io);
    return {code, out.str(), err.str()};
  }

  dms::HttpResponse push(const std::string& body, const std::string& query = "") {
    auto routes = plugin_->routes();
    EXPECT_EQ(routes.size(), 1u);
    dms::HttpRequest request;
    request.method = "POST";
    request.path = routes[0].path;
    request.query = query;
    request.body = body;
    request.remoteAddress = "127.0.0.1";
    return routes[0].handler(request);
  }

  std::shared_ptr<dms::DocumentTarget> sharedTarget_;
  std::unique_ptr<AmbitaPlugin> plugin_;
};

TEST_F(PluginTest, FactoryDescribesItselfAndRefusesBadConfiguration) {
  AmbitaPluginFactory factory;
  EXPECT_EQ(factory.info().name, "ambita");
  EXPECT_EQ(factory.info().configSection, "ambita");
  std::set<std::string> keys;
  for (const auto& o : factory.configSchema().options) keys.insert(o.key);
  for (const char* k :
       {"baseUrl", "clientSecret", "filing.folderTemplate", "push.secret", "poll.intervalMinutes"})
    EXPECT_EQ(keys.count(k), 1u) << k;
  auto bad = factory.create(services(section(R"("filing": {"folderTemplate": "{oops}"})")));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("ambita.filing.folderTemplate"), std::string::npos);
  EXPECT_NE(bad.error().message.find("{oops}"), std::string::npos);
  auto good = factory.create(services(section()));
  ASSERT_TRUE(good.ok()) << good.error().describe();
  std::set<std::string> commands;
  for (const auto& c : (*good)->commands()) commands.insert(c.name);
  EXPECT_EQ(commands, (std::set<std::string>{"products", "quote", "order", "sync", "track",
                                             "status", "preview", "verify", "audit"}));
}

TEST_F(PluginTest, SyncTrackStatusAuditAndExitCodes) {
  makePlugin();
  auto a = makeAsset("a1", "Kart.pdf");
  auto b = makeAsset("b1", "Vedtekter.pdf", "VEDTEKTER");
  api_.setOrder(makeOrder(1, "FINISHED", {a}, {b}));
  api_.setOrder(makeOrder(2, "PROGRESS", {makeAsset("c1", "C.pdf")}));

  EXPECT_EQ(run("track", {"2", "--reference", "Oppdrag 9"}).code, 0);
  auto sync = run("sync", {"--order", "1"}, true);
  EXPECT_EQ(sync.code, 0) << sync.err;
  EXPECT_NE(sync.out.find("order 1 (FINISHED): 2 filed"), std::string::npos) << sync.out;
  EXPECT_NE(sync.out.find("order 2 (PROGRESS): 1 filed"), std::string::npos)
      << "tracked orders are synced too";
  EXPECT_NE(sync.err.find("[1/2] order 1: filed"), std::string::npos)
      << "progress on a terminal: " << sync.err;
  EXPECT_EQ(tree().count("Oppdrag 9/2/Plan og regulering/C.pdf"), 1u);

  auto second = run("sync", {});
  EXPECT_EQ(second.code, 0);
  EXPECT_NE(second.out.find("0 download(s)"), std::string::npos) << second.out;

  auto status = run("status", {});
  EXPECT_EQ(status.code, 0);
  EXPECT_NE(status.out.find("FINISHED"), std::string::npos) << status.out;
  auto one = run("status", {"1"});
  EXPECT_EQ(one.code, 0);
  EXPECT_NE(one.out.find("dms-case-1/1/Vedtekter/Vedtekter.pdf"), std::string::npos) << one.out;

  auto audit = run("audit", {"--order", "1"});
  EXPECT_EQ(audit.code, 0);
  EXPECT_NE(audit.out.find("filed (sync)"), std::string::npos) << audit.out;

  api_.failGetOrder(1, dms::ErrorCode::Unavailable);
  auto failing = run("sync", {"--order", "1"});
  EXPECT_EQ(failing.code, 1);
  EXPECT_NE(failing.err.find("order 1"), std::string::npos);

  EXPECT_EQ(run("sync", {"--order", "x1"}).code, 2);
  EXPECT_EQ(run("preview", {}).code, 2);
  EXPECT_EQ(run("track", {}).code, 2);
  EXPECT_EQ(run("status", {"--bogus"}).code, 2);
  EXPECT_EQ(run("status", {"12345"}).code, 1);
}

TEST_F(PluginTest, PreviewWritesNothing) {
  makePlugin(R"("filing": {"folderTemplate": "{supplier}/{orderId}/{categoryFolder}"})");
  api_.setOrder(makeOrder(4, "FINISHED", {makeAsset("a1", "Kart.pdf")}, {makeAsset("b1", "../x")}));
  auto preview = run("preview", {"--order", "4"});
  EXPECT_EQ(preview.code, 0) << preview.err;
  EXPECT_NE(preview.out.find("file: Infoland Kommune - demo/4/Plan og regulering/Kart.pdf"),
            std::string::npos)
      << preview.out;
  EXPECT_NE(preview.out.find("file: Infoland Kommune - demo/4/Plan og regulering/_.._x"),
            std::string::npos);
  EXPECT_NE(preview.out.find("ambita.assetId = a1"), std::string::npos);
  EXPECT_TRUE(tree().empty());
  EXPECT_EQ(api_.downloads(), 0);
  EXPECT_FALSE(plugin_->stateForTest().order(4)->has_value());
}

TEST_F(PluginTest, VerifyFindsMissingChangedOrphanedAndRepairs) {
  makePlugin();
  api_.setOrder(
      makeOrder(1, "FINISHED",
                {makeAsset("a1", "A.pdf"), makeAsset("b1", "B.pdf"), makeAsset("c1", "C.pdf")}));
  ASSERT_EQ(run("sync", {"--order", "1"}).code, 0);
  EXPECT_EQ(run("verify", {}).code, 0);
  const std::string folder = "dms-case-1/1/Plan og regulering/";
  // Missing: someone deleted A. Changed: B's content replaced. Orphan: a copy of C elsewhere.
  ASSERT_TRUE(fsTarget_->remove(folder + "A.pdf", false).ok());
  auto md = fsTarget_->readMetadata(folder + "B.pdf");
  std::istringstream other(std::string(1000, 'z'));
  ASSERT_TRUE(fsTarget_->put(folder + "B.pdf", other, *md, dms::PutMode::Replace).ok());
  auto cmd = fsTarget_->readMetadata(folder + "C.pdf");
  std::istringstream copy("copy");
  ASSERT_TRUE(fsTarget_->put(folder + "C-copy.pdf", copy, *cmd, dms::PutMode::CreateNew).ok());

  auto quick = run("verify", {"--quick"});
  EXPECT_EQ(quick.code, 1);
  EXPECT_NE(quick.out.find("missing:  " + folder + "A.pdf"), std::string::npos) << quick.out;
  EXPECT_EQ(quick.out.find("changed:"), std::string::npos)
      << "same size: only the content hash tells";
  auto verify = run("verify", {});
  EXPECT_EQ(verify.code, 1);
  EXPECT_NE(verify.out.find("missing:  " + folder + "A.pdf"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("changed:  " + folder + "B.pdf"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("orphaned: " + folder + "C-copy.pdf"), std::string::npos) << verify.out;
  const int downloads = api_.downloads();
  auto repair = run("verify", {"--repair"});
  EXPECT_NE(repair.out.find("1 filed again"), std::string::npos) << repair.out << repair.err;
  EXPECT_EQ(api_.downloads(), downloads + 1);
  EXPECT_EQ(tree()[folder + "A.pdf"].metadata["ambita.assetId"], "a1");
}

TEST_F(PluginTest, PushEndpointChecksAndQueuesWithoutWaiting) {
  makePlugin(std::string(R"("push": {"secret": ")") + kSecret + R"(", "maxBytes": 1024})");
  const std::string good =
      R"({"orderCollectionId": 1, "status": "UPDATED", "reference": "Oppdrag 117"})";
  EXPECT_EQ(push(good).status, 401);
  EXPECT_EQ(push(good, "token=wrong").status, 403);
  EXPECT_EQ(push(good, std::string("token=") + kSecret + "x").status, 403);
  auto bad = push("{not json", std::string("token=") + kSecret);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("error"), std::string::npos);
  EXPECT_EQ(push(R"({"status": "UPDATED"})", std::string("token=") + kSecret).status, 400);
  EXPECT_EQ(push(std::string(2000, ' '), std::string("token=") + kSecret).status, 413);

  auto order1 = makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")});
  order1.reference = "Oppdrag 117";
  api_.setOrder(order1);
  // Duplicates and an older-style message: one reconcile answers them all.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(push(good, std::string("token=") + kSecret).status, 200);
  auto old = push(R"({"orderId": "1", "status": "FINISHED"})", std::string("token=") + kSecret);
  EXPECT_EQ(old.status, 200);
  EXPECT_NE(old.body.find("queued"), std::string::npos);
  EXPECT_EQ(api_.getOrders(), 0) << "the handler never reconciles";
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 1u) << "merged into one message per order";

  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 1u);
  EXPECT_EQ(api_.getOrders(), 1);
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 0u);
  EXPECT_EQ(tree().count("Oppdrag 117/1/Plan og regulering/A.pdf"), 1u)
      << "the order's reference (from the GET) names the folder";
  auto order = plugin_->stateForTest().order(1);
  EXPECT_EQ((*order)->origin, filing::OrderOrigin::Push);
  EXPECT_EQ(logger_.text().find(kSecret), std::string::npos) << "the secret is never logged";
  EXPECT_EQ(logger_.text().find("client-s3cret"), std::string::npos);
}

TEST_F(PluginTest, PushForAnUnknownOrderIsPostponedAndNotTracked) {
  makePlugin();
  EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 1u);
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 1u) << "postponed, not lost";
  EXPECT_FALSE(plugin_->stateForTest().order(777)->has_value()) << "not tracked on the body's word";
}

TEST_F(PluginTest, SyncAnswersQueuedPushesAndDropsUnknownOrders) {
  makePlugin();
  auto order1 = makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")});
  order1.reference = "Oppdrag 1";
  api_.setOrder(order1);
  EXPECT_EQ(push(R"({"orderCollectionId": 1, "reference": "Forged"})").status, 200);
  EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  auto first = run("sync", {});
  EXPECT_EQ(first.code, 1);
  EXPECT_NE(first.err.find("unknown to Ambita"), std::string::npos) << first.err;
  EXPECT_EQ(tree().count("Oppdrag 1/1/Plan og regulering/A.pdf"), 1u);
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 0u);
  EXPECT_EQ(run("sync", {}).code, 0);
}

// A push names an order id and nothing more: a forged body cannot file a real order under
// another case, through the service's workers or through sync.
TEST_F(PluginTest, PushBodyCannotChooseTheFolder) {
  makePlugin();
  for (std::int64_t id : {1, 2}) {
    auto order = makeOrder(id, "FINISHED", {makeAsset("a" + std::to_string(id), "A.pdf")});
    order.reference = "Oppdrag " + std::to_string(id);
    api_.setOrder(order);
    EXPECT_EQ(push(R"({"orderCollectionId": )" + std::to_string(id) +
                   R"(, "reference": "Forged case", "technicalReference": "forged"})")
                  .status,
              200);
  }
  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 2u);
  EXPECT_EQ(tree().count("Oppdrag 1/1/Plan og regulering/A.pdf"), 1u);
  EXPECT_EQ(tree().count("Oppdrag 2/2/Plan og regulering/A.pdf"), 1u);
  EXPECT_EQ((*plugin_->stateForTest().order(1))->reference, "Oppdrag 1");
  auto order3 = makeOrder(3, "FINISHED", {makeAsset("a3", "A.pdf")});
  order3.reference = "Oppdrag 3";
  api_.setOrder(order3);
  EXPECT_EQ(push(R"({"orderCollectionId": 3, "reference": "Forged case"})").status, 200);
  EXPECT_EQ(run("sync", {}).code, 0);
  EXPECT_EQ(tree().count("Oppdrag 3/3/Plan og regulering/A.pdf"), 1u);
  for (const auto& [path, file] : tree()) EXPECT_EQ(path.find("Forged"), std::string::npos) << path;
}

// Forged or unknown ids stay cheap: repeated pushes of one id cost one GET per backoff window,
// and the inbox holds at most push.maxQueuedOrders orders.
TEST_F(PluginTest, RepeatedPushesOfAnUnknownOrderCostOneGetPerBackoffWindow) {
  makePlugin(R"("push": {"maxQueuedOrders": 10})");
  EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 1u);
  EXPECT_EQ(api_.getOrders(), 1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  plugin_->workersForTest().drainForTest();
  EXPECT_EQ(api_.getOrders(), 1) << "postponed: more pushes of the id bring no earlier GET";
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 1u);
  for (int id = 1000; id < 1009; ++id)
    EXPECT_EQ(push(R"({"orderCollectionId": )" + std::to_string(id) + "}").status, 200);
  auto full = push(R"({"orderCollectionId": 2000})");
  EXPECT_EQ(full.status, 503) << "the inbox is bounded";
  EXPECT_EQ(push(R"({"orderCollectionId": 1000})").status, 200) << "a waiting id is merged";
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 10u);
}

// The state knows which API it was made for: the same dataDir against another Ambita (a new
// sandbox, test → production) is refused instead of mixing two orders that share an id.
TEST_F(PluginTest, StateMadeForAnotherApiIsRefused) {
  makePlugin();
  plugin_.reset();
  const auto withApi = [&](const std::string& baseUrl, const std::string& clientId) {
    return AmbitaPlugin::createWithOrderApiForTest(
        services(R"({"baseUrl": ")" + baseUrl + R"(", "clientId": ")" + clientId +
                 R"(", "clientSecret": "client-s3cret", "username": "u", "password": "p"})"),
        api_);
  };
  auto otherHost = withApi("https://api.ambita.com", "id");
  ASSERT_FALSE(otherHost.ok());
  const auto& message = otherHost.error().message;
  EXPECT_NE(message.find("http://127.0.0.1:9"), std::string::npos) << message;
  EXPECT_NE(message.find("https://api.ambita.com:443"), std::string::npos) << message;
  EXPECT_NE(message.find("dataDir"), std::string::npos) << message;
  EXPECT_NE(message.find(dataDir_), std::string::npos) << message;
  EXPECT_EQ(message.find("client-s3cret"), std::string::npos);
  auto otherPort = withApi("http://127.0.0.1:10", "id");
  EXPECT_FALSE(otherPort.ok());
  auto otherClient = withApi("http://127.0.0.1:9", "another-client");
  ASSERT_FALSE(otherClient.ok());
  EXPECT_NE(otherClient.error().message.find("another-client"), std::string::npos);
  auto same = withApi("http://127.0.0.1:9/", "id");
  EXPECT_TRUE(same.ok()) << same.error().describe();
}

TEST_F(PluginTest, ServiceFilesPushedOrdersAndStopsCleanly) {
  makePlugin(R"("poll": {"workers": 2})");
  api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")}, {makeAsset("b1", "B.pdf")}));
  ASSERT_TRUE(plugin_->startService().ok());
  // A second process on the same data folder is refused while the service runs.
  auto other = AmbitaPlugin::createWithOrderApiForTest(services(section()), api_);
  ASSERT_TRUE(other.ok());
  auto refused = (*other)->startService();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, dms::ErrorCode::Locked);
  EXPECT_EQ(push(R"({"orderCollectionId": 1, "status": "UPDATED"})").status, 200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (tree().size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(tree().size(), 2u);
  plugin_->stop();
  plugin_->stop();  // idempotent
  EXPECT_TRUE((*other)->startService().ok()) << "the lock is released by stop()";
  (*other)->stop();
}

// recover() cannot tell a stale temporary from the one of a put in flight, so the plugin calls
// it only right after taking its exclusive data-folder lock (run, sync, verify --repair), once
// per acquisition, and never for the commands that run beside a service.
TEST_F(PluginTest, TargetIsRecoveredOnlyUnderTheDataFolderLock) {
  auto counting = std::make_shared<dms::test::FaultInjectingTarget>(*fsTarget_);
  sharedTarget_ = counting;
  makePlugin();
  const auto recovers = [&] { return counting->calls(dms::test::TargetMethod::Recover); };
  EXPECT_EQ(run("track", {"5"}).code, 0);
  EXPECT_EQ(run("status", {}).code, 0);
  EXPECT_EQ(run("audit", {}).code, 0);
  EXPECT_EQ(run("verify", {}).code, 0);
  EXPECT_EQ(recovers(), 0) << "commands that take no lock must not recover";

  api_.setOrder(makeOrder(5, "FINISHED", {makeAsset("a1", "A.pdf")}));
  EXPECT_EQ(run("sync", {}).code, 0);
  EXPECT_EQ(recovers(), 1);
  EXPECT_EQ(run("verify", {"--repair"}).code, 0);
  EXPECT_EQ(recovers(), 2);
  ASSERT_TRUE(plugin_->startService().ok());
  EXPECT_EQ(recovers(), 3);
  plugin_->stop();

  // A failing recover() fails the command clearly and leaves the lock free.
  counting->failCall(dms::test::TargetMethod::Recover, 4, dms::ErrorCode::Unavailable);
  auto failed = run("sync", {});
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.err.find("target: recover() failed"), std::string::npos) << failed.err;
  EXPECT_EQ(run("sync", {}).code, 0) << "the lock was released";
  EXPECT_EQ(recovers(), 5);
}

// The defect this guards against: `dms-host status` next to `dms-host run` deleted the
// temporary of the service's put in flight, and the put failed at its rename.
TEST_F(PluginTest, AdminCommandsLeaveAPutInFlightAloneAndSyncCleansStaleTemporaries) {
  makePlugin();
  ASSERT_TRUE(plugin_->startService().ok());  // the service holds the data-folder lock
  auto admin = AmbitaPlugin::createWithOrderApiForTest(services(section()), api_);
  ASSERT_TRUE(admin.ok()) << admin.error().describe();
  const auto runAdmin = [&](const std::string& name, const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = (*admin)->runCommand(name, args, {&out, &err, false});
    return Run{code, out.str(), err.str()};
  };

  // A put in flight (as the service's workers do): its content stops half-way.
  ASSERT_TRUE(fsTarget_->ensureFolder("Inflight").ok());
  const std::string first(4096, 'a'), rest(1000, 'b');
  Gate gate;
  auto stream = dms::test::TestStream::text(first + rest);
  stream.at(first.size(), [&] { gate.wait(); });
  std::istream content(&stream);
  dms::Result<dms::EntryInfo> put = dms::fail(dms::ErrorCode::Internal, "not run");
  std::thread putter([&] {
    put = fsTarget_->put("Inflight/A.pdf", content, {{"k", "v"}}, dms::PutMode::CreateNew);
  });
  struct Joiner {
    Gate& gate;
    std::thread& thread;
    ~Joiner() {
      gate.open();
      if (thread.joinable()) thread.join();
    }
  } joiner{gate, putter};
  ASSERT_TRUE(gate.waitUntilBlocked(std::chrono::seconds(10)));
  ASSERT_EQ(leftovers().size(), 1u) << "the put's temporary";

  // Admin commands of another process meanwhile: read-only ones run, filing ones are refused;
  // none touches the temporary.
  EXPECT_EQ(runAdmin("status", {}).code, 0);
  EXPECT_EQ(runAdmin("verify", {}).code, 0);
  auto refused = runAdmin("sync", {});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("another dms-host process"), std::string::npos) << refused.err;
  EXPECT_EQ(runAdmin("verify", {"--repair"}).code, 1);
  EXPECT_EQ(leftovers().size(), 1u) << "an admin command deleted the temporary of a put in flight";

  gate.open();
  putter.join();
  ASSERT_TRUE(put.ok()) << put.error().describe();
  EXPECT_EQ(tree()["Inflight/A.pdf"].content, first + rest);
  EXPECT_TRUE(leftovers().empty());
  plugin_->stop();

  // What a killed process left: stale temporaries. Commands without the lock leave them (they
  // cannot know), the next lock holder deletes them.
  const auto stale =
      std::filesystem::path(archiveRoot_) / "Inflight" / dms::common::makeTempName("B.pdf");
  std::ofstream(stale) << "partial";
  EXPECT_EQ(runAdmin("status", {}).code, 0);
  EXPECT_TRUE(std::filesystem::exists(stale));
  auto sync = runAdmin("sync", {});
  EXPECT_EQ(sync.code, 0) << sync.err;
  EXPECT_FALSE(std::filesystem::exists(stale)) << "sync (the lock holder) recovers the target";
  EXPECT_TRUE(leftovers().empty());
  EXPECT_EQ(tree().count("Inflight/A.pdf"), 1u);
}

}  // namespace
}  // namespace ambita::test
