// Benchmark (issue 15, row 4): how long a push waits for its answer. 8 senders, each over one
// keep-alive connection, send 1000 push messages (10 for each of 100 orders, interleaved) to the
// host's HTTP listener (samples/host RouteServer), whose route calls the plugin's PushEndpoint:
// parse, store in the inbox (SQLite, the log synced before the answer, group commit), answer.
// Baseline: the same load, same listener, on a route that answers 200 at once. Prints p50/p99/max
// of both and the ratio, and the orders left waiting (each a single row: one reconcile, one order
// GET). Exits non-zero only if a push is not answered 200 or a message is lost.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <istream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "RouteServer.h"
#include "filing/AuditLog.h"
#include "filing/SqliteStateStore.h"
#include "push/PushEndpoint.h"
#include "push/PushInbox.h"
#include "support/CapturingLogger.h"
#include "support/TempDir.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kSenders = 8;
constexpr int kPushesPerOrder = 10;

/// Orders pushed (10 pushes each): 100, or DMS_BENCH_PUSH_ORDERS (a long storm: e.g. 2000 for
/// 20k pushes, to watch the log's size; issue 15, branch pushsync).
int benchOrders() {
  static const int orders = [] {
    const char* set = std::getenv("DMS_BENCH_PUSH_ORDERS");
    const int n = set == nullptr ? 0 : std::atoi(set);
    return n > 0 && n <= 10'000 ? n : 100;
  }();
  return orders;
}

struct Figures {
  std::vector<double> latenciesMs;
  double seconds = 0;
  int failures = 0;
  std::string firstFailure;  ///< what the first failed push got (status or exception)
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

/// Sends every message to `path`: sender s takes messages s, s+8, s+16, ... over one connection.
Figures send(std::uint16_t port, const std::string& path) {
  const int total = benchOrders() * kPushesPerOrder;
  std::vector<std::vector<double>> perSender(kSenders);
  std::vector<int> failures(kSenders, 0);
  std::vector<std::string> firstFailure(kSenders);
  const auto start = Clock::now();
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      Poco::Net::HTTPClientSession session("127.0.0.1", port);
      session.setKeepAlive(true);
      for (int i = s; i < total; i += kSenders) {
        const std::string body =
            "{\"orderCollectionId\": " + std::to_string(1000 + i % benchOrders()) +
            ", \"status\": \"FINISHED\"}";
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.setKeepAlive(true);
        const auto sent = Clock::now();
        try {
          session.sendRequest(request) << body;
          Poco::Net::HTTPResponse response;
          std::istream& in = session.receiveResponse(response);
          in.ignore(std::numeric_limits<std::streamsize>::max());
          if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK && ++failures[s] == 1)
            firstFailure[s] = "answered " + std::to_string(response.getStatus());
        } catch (const std::exception& e) {
          if (++failures[s] == 1) firstFailure[s] = e.what();
          session.reset();
        }
        perSender[s].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
    });
  }
  for (auto& sender : senders) sender.join();
  Figures figures;
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (int s = 0; s < kSenders; ++s) {
    figures.latenciesMs.insert(figures.latenciesMs.end(), perSender[s].begin(), perSender[s].end());
    figures.failures += failures[s];
    if (figures.firstFailure.empty()) figures.firstFailure = firstFailure[s];
  }
  return figures;
}

/// What the push workers write while pushes arrive: every `pause`, one filing commit as a
/// reconcile's last one makes (five filed files with their audit entries and events, and the
/// order's status), on the same store, until `done`. Returns the commits made. It shows how long
/// an ack waits behind a filing transaction (same database, same write lock).
std::size_t writeFilingCommits(ambita::filing::StateStore& store, const std::atomic<bool>& done,
                               std::chrono::milliseconds pause) {
  using namespace ambita::filing;
  std::size_t commits = 0;
  for (std::int64_t order = 900'000; !done; ++order) {
    OrderChanges changes;
    for (int f = 0; f < 5; ++f) {
      AssetRecord a;
      a.assetId = std::to_string(order) + "-" + std::to_string(f);
      a.orderId = order;
      a.state = AssetState::Filed;
      a.path = "bench/" + a.assetId + ".pdf";
      a.size = 100'000;
      a.sha256 = std::string(64, 'a');
      a.filedAt = AuditLog::now();
      changes.audit.push_back(AuditLog::entry(order, a.assetId, "filed", Reason::Push, a.path, ""));
      changes.assets.push_back(std::move(a));
    }
    changes.status = OrderStatusSeen{order, "FINISHED", AuditLog::now(), true};
    if (auto s = store.commitOrder(changes); !s)
      throw std::runtime_error("filing commit: " + s.error().describe());
    ++commits;
    std::this_thread::sleep_for(pause);
  }
  return commits;
}

void printRow(const char* name, const Figures& f, const Figures* baseline) {
  std::printf("%-44s %6zu %8.2f %8.3f %8.3f %8.3f", name, f.latenciesMs.size(), f.seconds,
              percentile(f.latenciesMs, 0.5), percentile(f.latenciesMs, 0.99),
              percentile(f.latenciesMs, 1.0));
  if (baseline)
    std::printf(
        "  p99 %.2f x baseline\n",
        percentile(f.latenciesMs, 0.99) / std::max(1e-9, percentile(baseline->latenciesMs, 0.99)));
  else
    std::printf("  (baseline)\n");
}

}  // namespace

int main() {
  using namespace ambita;
  try {
    dms::test::TempDir dir("dms-push-bench");
    dms::test::CapturingLogger logger;
    auto store = filing::SqliteStateStore::open((dir.path() / "state.db").string());
    if (!store) {
      std::fprintf(stderr, "state: %s\n", store.error().describe().c_str());
      return 1;
    }
    // As the plugin's service does when it starts (AmbitaPlugin::startService).
    (*store)->reserveCommitLog();
    // DMS_BENCH_PUSH_CHECKPOINTS_IN_COMMITS=1: SQLite's own checkpoints, inside the commit that
    // crosses the interval, as before branch pushtail (the before/after in one binary).
    const char* inCommits = std::getenv("DMS_BENCH_PUSH_CHECKPOINTS_IN_COMMITS");
    const bool checkpointsOffCommits = inCommits == nullptr || std::string(inCommits) != "1";
    if (checkpointsOffCommits) (*store)->moveCheckpointsOffCommits();
    push::PushInbox inbox(**store, 10'000);
    // What an idle push worker of the service does when a push commit wakes it (PushWorkers):
    // the state's due checkpoint (no reconciles here: no Ambita to ask).
    std::atomic<bool> benchDone{false};
    std::thread idleWorker([&] {
      while (!benchDone) {
        (*store)->checkpointIfDue();
        inbox.waitForWork(std::chrono::milliseconds(100));
      }
    });
    struct JoinAtExit {
      std::atomic<bool>& done;
      push::PushInbox& inbox;
      std::thread& thread;
      ~JoinAtExit() {
        done = true;
        inbox.wakeAll();
        thread.join();
      }
    } joinIdleWorker{benchDone, inbox, idleWorker};
    push::PushEndpoint endpoint(inbox, logger, "", 64 * 1024);

    dms::Route pushRoute;
    pushRoute.method = "POST";
    pushRoute.path = "/ambita/push";
    pushRoute.handler = [&endpoint](const dms::HttpRequest& r) { return endpoint.handle(r); };
    dms::Route trivial;
    trivial.method = "POST";
    trivial.path = "/trivial";
    trivial.handler = [](const dms::HttpRequest&) {
      return dms::HttpResponse{200, "application/json", "{\"status\":\"ok\"}"};
    };
    // Room for twice the senders from 127.0.0.1: the baseline's connections stay registered
    // with the listener's per-address cap (ListenerLimits) until it reads their close, which on
    // a loaded box can be after the push run has opened its own (CI saw 30 pushes answered 503).
    dms::host::ListenerLimits limits;
    limits.maxConnectionsPerAddress = 2 * kSenders;
    dms::host::RouteServer server({pushRoute, trivial}, logger, limits);
    if (auto bound = server.bind("127.0.0.1", 0); !bound) {
      std::fprintf(stderr, "listener: %s\n", bound.error().describe().c_str());
      return 1;
    }
    server.start();

    std::printf("%d pushes (%d orders x %d), %d senders with keep-alive, latency in ms\n",
                benchOrders() * kPushesPerOrder, benchOrders(), kPushesPerOrder, kSenders);
    std::printf("%-44s %6s %8s %8s %8s %8s\n", "run", "sent", "total s", "p50", "p99", "max");
    const Figures baseline = send(server.port(), "/trivial");
    printRow("listener answering 200 at once", baseline, nullptr);
    const Figures pushes = send(server.port(), "/ambita/push");
    printRow("push endpoint -> inbox (SQLite, group commit)", pushes, &baseline);
    // The same pushes again (merged into the waiting rows) while filing commits run.
    std::atomic<bool> pushesDone{false};
    std::size_t filingCommits = 0;
    std::thread filing([&] {
      filingCommits = writeFilingCommits(**store, pushesDone, std::chrono::milliseconds(5));
    });
    const Figures contended = send(server.port(), "/ambita/push");
    pushesDone = true;
    filing.join();
    printRow("the same, a filing commit every 5 ms beside", contended, &baseline);
    server.stop();

    auto waiting = (*store)->inboxSize();
    std::printf(
        "orders waiting: %zu of %d (one row, one reconcile, one order GET each); "
        "transactions: %llu for %zu pushes; refused as busy: %llu; filing commits beside: %zu; "
        "checkpoints in commits: %llu, by the idle worker: %llu%s\n",
        waiting ? *waiting : 0, benchOrders(),
        static_cast<unsigned long long>(inbox.pushCommitsForTest()),
        pushes.latenciesMs.size() + contended.latenciesMs.size(),
        static_cast<unsigned long long>(inbox.busyRefusals()), filingCommits,
        static_cast<unsigned long long>((*store)->checkpointsInCommitsForTest()),
        static_cast<unsigned long long>((*store)->checkpointsOffCommitsForTest()),
        checkpointsOffCommits
            ? ""
            : " (SQLite's own in commits: DMS_BENCH_PUSH_CHECKPOINTS_IN_COMMITS)");
    const auto& failed = pushes.failures ? pushes : contended;
    if (baseline.failures || pushes.failures || contended.failures || !waiting ||
        *waiting != std::size_t(benchOrders())) {
      std::fprintf(
          stderr, "BROKEN: %d baseline and %d + %d push failures, %zu orders waiting%s%s\n",
          baseline.failures, pushes.failures, contended.failures, waiting ? *waiting : 0,
          failed.firstFailure.empty() ? "" : "; first push failure: ", failed.firstFailure.c_str());
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "push_bench: %s\n", e.what());
    return 1;
  }
}
