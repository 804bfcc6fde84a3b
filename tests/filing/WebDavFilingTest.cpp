// Issue 15 row 2: the engine files into a real WebDAV server (Apache mod_dav) without the disk
// spool for small assets: each body is held in memory and PUT from there, so a PUT the
// connection cut mid-body is sent again in the same run and the file lands exactly once.
// The spool folder is made unusable in these tests: before, every WebDAV download went through
// it.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "EngineFixture.h"
#include "dms/webdav/WebDavOptions.h"
#include "dms/webdav/WebDavTarget.h"
#include "support/ApacheServer.h"

namespace ambita::test {
namespace {

using filing::AssetState;

/// A loopback TCP proxy in front of a server that cuts the first PUT it relays halfway through
/// its body: it forwards the request head and half the body, then closes both connections (the
/// client sees its connection broken mid-upload, as with a server restart). Every other byte,
/// both ways, passes unchanged.
class PutCuttingProxy {
 public:
  explicit PutCuttingProxy(int serverPort) : serverPort_(serverPort) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("proxy: cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~PutCuttingProxy() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (auto& t : relays_) t.join();
    ::close(listener_);
  }
  PutCuttingProxy(const PutCuttingProxy&) = delete;
  PutCuttingProxy& operator=(const PutCuttingProxy&) = delete;

  int port() const { return port_; }
  int cuts() const { return cuts_.load(); }

 private:
  /// Follows the requests a client sends on one connection (heads with Content-Length bodies).
  struct RequestWatcher {
    std::string head;
    std::size_t bodyLeft = 0;
    std::size_t cutWhenLeft = 0;  ///< when cutting this body: bytes not to forward
    bool cutting = false;
  };

  static sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    return address;
  }

  void acceptLoop() {
    while (!stop_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::lock_guard lock(mutex_);
      relays_.emplace_back([this, client] { relay(client); });
    }
  }

  /// Bytes of `data` to forward; `cut` set when the connection must close after them.
  std::size_t watch(RequestWatcher& w, const char* data, std::size_t size, bool& cut) {
    for (std::size_t i = 0; i < size;) {
      if (w.bodyLeft > 0) {
        const std::size_t take = std::min(w.bodyLeft, size - i);
        if (w.cutting && w.bodyLeft - take < w.cutWhenLeft) {
          cut = true;
          return i + (w.bodyLeft - w.cutWhenLeft);
        }
        w.bodyLeft -= take;
        i += take;
        continue;
      }
      w.head += data[i++];
      if (w.head.size() < 4 || w.head.compare(w.head.size() - 4, 4, "\r\n\r\n") != 0) continue;
      std::string lower = w.head;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto at = lower.find("\ncontent-length:");
      w.bodyLeft = at == std::string::npos ? 0 : std::stoull(lower.substr(at + 16));
      int none = 0;
      w.cutting =
          w.head.rfind("PUT ", 0) == 0 && w.bodyLeft > 1 && cuts_.compare_exchange_strong(none, 1);
      w.cutWhenLeft = w.bodyLeft - w.bodyLeft / 2;
      w.head.clear();
    }
    return size;
  }

  void relay(int client) {
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopback(serverPort_);
    if (server < 0 ||
        ::connect(server, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      return;
    }
    RequestWatcher watcher;
    std::vector<char> buffer(64 * 1024);
    bool open = true;
    while (open && !stop_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      for (int side = 0; side < 2 && open; ++side) {
        if (fds[side].revents == 0) continue;
        const ssize_t got = ::recv(fds[side].fd, buffer.data(), buffer.size(), 0);
        if (got <= 0) {
          open = false;
          break;
        }
        bool cut = false;
        const std::size_t forward =
            side == 0 ? watch(watcher, buffer.data(), static_cast<std::size_t>(got), cut)
                      : static_cast<std::size_t>(got);
        if (!sendAll(fds[1 - side].fd, buffer.data(), forward) || cut) open = false;
      }
    }
    ::close(client);
    ::close(server);
  }

  static bool sendAll(int fd, const char* data, std::size_t size) {
    for (std::size_t done = 0; done < size;) {
      const ssize_t sent = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
      if (sent <= 0) return false;
      done += static_cast<std::size_t>(sent);
    }
    return true;
  }

  const int serverPort_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> cuts_{0};
  std::mutex mutex_;
  std::vector<std::thread> relays_;
  std::thread acceptor_;  ///< last: started once everything above is ready
};

class WebDavFilingTest : public EngineFixture {
 protected:
  const std::string kFolder = "dms-case-1/1/Plan og regulering";

  void SetUp() override {
    EngineFixture::SetUp();
    apache_.createCollection("archive");
  }
  void TearDown() override {
    closeEngine();  // before the target it uses
    target_ = fsTarget_.get();
    davTarget_.reset();
    EngineFixture::TearDown();
  }

  /// Files into Apache's collection "archive" through `origin` (Apache's, or a proxy's), with
  /// the spool folder replaced by a plain file: nothing can be spooled.
  void fileIntoWebDav(const std::string& origin) {
    auto options = dms::webdav::WebDavOptions::parse(
        R"({"url": ")" + origin +
        R"(/dav/archive/", "retries": 3, "retryDelayMs": 10, "timeoutSeconds": 20})");
    ASSERT_TRUE(options.ok()) << options.error().describe();
    auto target = dms::webdav::WebDavTarget::create(*options, logger_, dataDir_ + "/webdav");
    ASSERT_TRUE(target.ok()) << target.error().describe();
    davTarget_ = std::move(*target);
    target_ = davTarget_.get();
    configure();
    const auto spool = std::filesystem::path(dataDir_) / "spool";
    std::filesystem::remove_all(spool);
    std::ofstream(spool) << "not a folder";
  }

  /// Names of the files in `folder` of the collection, on Apache's disk (its own ".DAV"
  /// property folder left out): the connector's temporaries would show here.
  std::vector<std::string> namesOnServer(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& e :
         std::filesystem::directory_iterator(apache_.davRoot() / "archive" / folder))
      if (e.path().filename() != ".DAV") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  /// The file is on the server byte for byte, with the metadata naming its hash, recorded filed.
  void expectFiledWhole(const std::string& path, const api::Asset& asset) {
    const auto bytes = FakeOrderApi::contentFor(asset.downloadUrl);
    std::ifstream in(apache_.davRoot() / "archive" / path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    EXPECT_TRUE(in.good() && content.str() == bytes) << path << ": content differs";
    auto metadata = davTarget_->readMetadata(path);
    ASSERT_TRUE(metadata.ok()) << metadata.error().describe();
    EXPECT_EQ((*metadata)["ambita.sha256"], sha256Hex(bytes)) << path;
    auto record = store_->asset(asset.id);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*record)->state, AssetState::Filed);
    EXPECT_EQ((*record)->sha256, sha256Hex(bytes));
  }

  dms::test::ApacheServer apache_;
  std::unique_ptr<dms::webdav::WebDavTarget> davTarget_;
};

// Small assets (up to the memory limit, 1 MiB with 4 filing threads) reach WebDAV without the
// spool; a bigger one still needs it, and without it fails clearly rather than being held in
// memory.
TEST_F(WebDavFilingTest, SmallAssetsArePutWithoutTheSpool) {
  fileIntoWebDav(apache_.origin());
  const std::vector<api::Asset> small = {
      makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 20 * 1024),
      makeAsset("a2", "B.pdf", "PLAN_KART_REGULERING", "OK", 200 * 1024),
      makeAsset("a3", "C.pdf", "PLAN_KART_REGULERING", "OK", 1024 * 1024)};
  auto big = makeAsset("b1", "D.pdf", "PLAN_KART_REGULERING", "OK", 1024 * 1024 + 1);
  auto assets = small;
  assets.push_back(big);
  api_.setOrder(makeOrder(1, "FINISHED", assets));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->filed, 3u) << (report->problems.empty() ? "" : report->problems.front());
  EXPECT_EQ(api_.downloads(), 4);
  for (const auto& a : small) expectFiledWhole(kFolder + "/" + a.filename, a);
  EXPECT_EQ((*store_->asset("b1"))->state, AssetState::Failed);
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems.front().find("spool"), std::string::npos) << report->problems.front();
  EXPECT_EQ(namesOnServer(kFolder), (std::vector<std::string>{"A.pdf", "B.pdf", "C.pdf"}));
}

// The first PUT is cut halfway through its body: the connector sends it again from the body
// held in memory, in the same run, and the file lands once, whole, without temporaries left.
TEST_F(WebDavFilingTest, APutCutMidBodyIsSentAgainAndLandsOnce) {
  PutCuttingProxy proxy(apache_.port());
  fileIntoWebDav("http://127.0.0.1:" + std::to_string(proxy.port()));
  auto a = makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 300 * 1024);
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems.front());
  EXPECT_EQ(proxy.cuts(), 1) << "the PUT was never cut: the test proves nothing";
  EXPECT_EQ(report->filed, 1u);
  EXPECT_EQ(api_.downloads(), 1) << "re-sent from memory, not downloaded again";
  expectFiledWhole(kFolder + "/A.pdf", a);
  EXPECT_EQ(namesOnServer(kFolder), std::vector<std::string>{"A.pdf"});

  auto again = reconcile(1);  // exactly once: nothing left to file
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->filed, 0u);
  EXPECT_EQ(namesOnServer(kFolder), std::vector<std::string>{"A.pdf"});
}

}  // namespace
}  // namespace ambita::test
