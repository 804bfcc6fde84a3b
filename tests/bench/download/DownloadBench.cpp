// Benchmark: download a large generated asset from the real sandbox through AmbitaClient into
// /dev/null, print throughput and this process's peak RSS, and compare with baselines measured
// in the same run: a plain Poco HTTPClientSession stream copy of the same asset, and curl (when
// installed). Exit code 1 when the client's download fails, its SHA-256 is wrong, or the peak
// RSS exceeds 64 MB.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "api/AmbitaClient.h"
#include "support/SandboxProcess.h"

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kRssLimitMiB = 64.0;

double peakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct Figure {
  bool ok = false;
  double seconds = 0;
  std::uint64_t bytes = 0;
  double mibPerSecond() const {
    return seconds > 0 ? static_cast<double>(bytes) / kMiB / seconds : 0;
  }
};

/// The baseline: one GET, the body copied by Poco's StreamCopier into a null stream.
Figure pocoCopy(const std::string& url, const std::string& token) {
  Figure f;
  const Poco::URI uri(url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Authorization", "Bearer " + token);
  const auto start = std::chrono::steady_clock::now();
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Poco::NullOutputStream sink;
  f.bytes = Poco::StreamCopier::copyStream64(in, sink, 64 * 1024);
  f.seconds = seconds(std::chrono::steady_clock::now() - start);
  f.ok =
      resp.getStatus() == 200 && f.bytes == static_cast<std::uint64_t>(resp.getContentLength64());
  return f;
}

/// curl into /dev/null, if curl is installed. The token goes through a header file, not argv.
Figure curlCopy(const std::string& url, const std::string& token, const std::string& tmpDir) {
  Figure f;
  if (std::system("command -v curl >/dev/null 2>&1") != 0) return f;
  const std::string headerFile = tmpDir + "/bench-curl-headers";
  if (FILE* h = std::fopen(headerFile.c_str(), "w")) {
    std::fprintf(h, "Authorization: Bearer %s\n", token.c_str());
    std::fclose(h);
  } else {
    return f;
  }
  const std::string cmd = "curl -sS -o /dev/null -H @" + headerFile +
                          " -w '%{size_download} %{time_total} %{http_code}' '" + url + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return f;
  unsigned long long size = 0;
  double total = 0;
  int code = 0;
  const int n = std::fscanf(p, "%llu %lf %d", &size, &total, &code);
  ::pclose(p);
  std::remove(headerFile.c_str());
  f.ok = n == 3 && code == 200;
  f.bytes = size;
  f.seconds = total;
  return f;
}

void print(const char* name, const Figure& f) {
  std::printf("  %-28s %s %10.1f MiB in %6.2f s = %8.1f MiB/s\n", name, f.ok ? "ok  " : "FAIL",
              static_cast<double>(f.bytes) / kMiB, f.seconds, f.mibPerSecond());
}

}  // namespace

int main() {
  std::uint64_t size = 2ULL * 1024 * 1024 * 1024;
  if (const char* env = std::getenv("DMS_BENCH_DOWNLOAD_BYTES")) size = std::stoull(env);
  try {
    dms::test::SandboxProcess sandbox;
    const auto orderId = sandbox.createDemoOrder("bench");
    dms::test::SandboxProcess::AssetSpec spec;
    spec.name = spec.filename = "Stort kart.zip";
    spec.size = size;
    const auto asset = sandbox.addAsset(orderId, spec);
    const std::string url = asset->getValue<std::string>("downloadUrl");
    const std::string assetId = asset->getValue<std::string>("id");

    ambita::api::ClientOptions o;
    o.baseUrl = sandbox.baseUrl();
    o.clientId = dms::test::SandboxProcess::kClientId;
    o.clientSecret = dms::test::SandboxProcess::kClientSecret;
    o.username = dms::test::SandboxProcess::kUsername;
    o.password = dms::test::SandboxProcess::kPassword;
    ambita::api::AmbitaClient client(o, nullptr);

    const double rssBefore = peakRssMiB();
    const auto start = std::chrono::steady_clock::now();
    auto d = client.downloadAsset(url, "/dev/null");
    Figure clientFig;
    clientFig.seconds = seconds(std::chrono::steady_clock::now() - start);
    const double rssAfter = peakRssMiB();
    if (!d) {
      std::printf("client download failed: %s\n", d.error().describe().c_str());
      return 1;
    }
    clientFig.ok = d->size == size;
    clientFig.bytes = d->size;

    const std::string token = sandbox.passwordToken();
    const Figure poco = pocoCopy(url, token);
    const Figure curl = curlCopy(url, token, "/tmp");
    const auto info = sandbox.assetInfo(assetId);
    const bool shaOk = info.sha256 == d->sha256Hex;

    std::printf("download benchmark: %.1f MiB asset from the sandbox (127.0.0.1)\n",
                static_cast<double>(size) / kMiB);
    print("AmbitaClient (+SHA-256)", clientFig);
    print("baseline Poco stream copy", poco);
    if (curl.ok) print("baseline curl", curl);
    if (poco.ok)
      std::printf("  ratio client/Poco throughput: %.2f\n",
                  clientFig.mibPerSecond() / poco.mibPerSecond());
    if (curl.ok)
      std::printf("  ratio client/curl throughput: %.2f\n",
                  clientFig.mibPerSecond() / curl.mibPerSecond());
    std::printf("  SHA-256 %s (client %s)\n", shaOk ? "matches the sandbox's" : "DIFFERS",
                d->sha256Hex.c_str());
    std::printf(
        "  peak RSS: %.1f MiB before the client download, %.1f MiB after (limit %.0f MiB)\n",
        rssBefore, rssAfter, kRssLimitMiB);
    std::fflush(stdout);
    if (!clientFig.ok || !shaOk) return 1;
    if (rssAfter > kRssLimitMiB) {
      std::printf("FAIL: peak RSS %.1f MiB exceeds %.0f MiB\n", rssAfter, kRssLimitMiB);
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::printf("benchmark setup failed: %s\n", e.what());
    return 1;
  }
}
