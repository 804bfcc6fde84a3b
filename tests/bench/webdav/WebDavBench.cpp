// Benchmark: the same files uploaded to the same server by the WebDAV connector and by curl -T
// (one curl process, one keep-alive connection, plain PUT: the baseline), on every server of
// tests/support/DavServer.h (Apache mod_dav_fs, lighttpd, nginx, rclone).
// The connector does more per file (temporary name, size check, PROPPATCH, MOVE), so small
// files show that overhead and big files show streaming throughput. Prints figures; exits
// non-zero only if an upload fails.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "WebDavTestHelpers.h"
#include "dms/webdav/WebDavOptions.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Batch {
  std::string name;
  int count;
  std::size_t size;
};

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

int main() {
  using namespace dms::test;
  try {
    TempDir files("dms-webdav-bench");
    CapturingLogger logger;
    const std::vector<Batch> batches = {{"small", 200, 64 * 1024}, {"big", 4, 32 * 1024 * 1024}};
    std::printf("%-8s %-6s %5s %10s | %9s %9s | %9s %9s | %7s %7s | %7s %7s\n", "server", "batch",
                "files", "bytes/file", "curl s", "curl MB/s", "conn1 s", "conn4 s", "c1/curl",
                "c4/curl", "curl f/s", "c4 f/s");
    for (auto kind : allDavServerKinds()) {
      auto serverPointer = DavServer::start(kind);
      DavServer& server = *serverPointer;
      for (const auto& batch : batches) {
        std::vector<std::string> paths;
        for (int i = 0; i < batch.count; ++i) {
          auto path = files.path() / (batch.name + std::to_string(i) + ".bin");
          std::ofstream out(path, std::ios::binary);
          std::string block(batch.size, static_cast<char>('a' + i % 26));
          out.write(block.data(), static_cast<std::streamsize>(block.size()));
          paths.push_back(path.string());
        }
        const double megabytes = static_cast<double>(batch.size) * batch.count / (1024.0 * 1024.0);

        // Baseline: curl, all files in one process over one connection.
        const std::string curlUrl = server.createCollection("curl-" + batch.name);
        std::string command = "curl -sS --fail";
        if (!server.user().empty())
          command += " -u '" + server.user() + ":" + server.password() + "'";
        for (std::size_t i = 0; i < paths.size(); ++i)
          command += " -T '" + paths[i] + "' '" + curlUrl + "f" + std::to_string(i) + ".bin'";
        command += " > /dev/null";
        auto start = Clock::now();
        int status = 0;
        runCommand(command, &status);
        const double curlSeconds = seconds(start);
        if (status != 0) {
          std::fprintf(stderr, "curl failed (status %d); is the Debian package curl installed?\n",
                       status);
          return 1;
        }

        // The connector: one thread (concurrency 1), then four threads (concurrency 4).
        double connectorSeconds[2] = {0, 0};
        for (int variant = 0; variant < 2; ++variant) {
          const int threads = variant == 0 ? 1 : 4;
          auto target = makeWebDavTargetAt(
              server, server.createCollection("conn" + std::to_string(threads) + "-" + batch.name),
              logger, "\"concurrency\": " + std::to_string(threads));
          std::atomic<int> failures{0};
          start = Clock::now();
          std::vector<std::thread> workers;
          for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
              for (std::size_t i = t; i < paths.size(); i += threads) {
                std::ifstream in(paths[i], std::ios::binary);
                auto put =
                    target->put("f" + std::to_string(i) + ".bin", in,
                                {{"ambita.assetId", std::to_string(i)}}, dms::PutMode::CreateNew);
                if (!put) {
                  std::fprintf(stderr, "put failed: %s\n", put.error().describe().c_str());
                  ++failures;
                }
              }
            });
          }
          for (auto& worker : workers) worker.join();
          connectorSeconds[variant] = seconds(start);
          if (failures > 0) return 1;
        }
        std::printf("%-8s %-6s %5d %10zu | %9.3f %9.1f | %9.3f %9.3f | %7.2f %7.2f | %7.0f %7.0f\n",
                    davServerName(kind).c_str(), batch.name.c_str(), batch.count, batch.size,
                    curlSeconds, megabytes / curlSeconds, connectorSeconds[0], connectorSeconds[1],
                    connectorSeconds[0] / curlSeconds, connectorSeconds[1] / curlSeconds,
                    batch.count / curlSeconds, batch.count / connectorSeconds[1]);
      }
    }
    std::printf(
        "(ratios are connector time / curl time: < 1 is faster than curl. Per file the\n"
        " connector sends PUT, PROPPATCH, MOVE where curl sends one PUT (with sidecars:\n"
        " PROPFIND, PUT, PUT, MOVE, MOVE; issue 15); Apache's PROPPATCH\n"
        " (property database write) dominates small files.)\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "webdav_bench: %s\n", e.what());
    return 1;
  }
}
