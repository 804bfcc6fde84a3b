#pragma once
/// Starts the real ambita-sandbox program on 127.0.0.1 with a free port and drives its control
/// endpoints (see samples/ambita-sandbox/README.md). The child is started with --port 0
/// --exit-on-stdin-eof --quiet plus the caller's flags, and is killed and reaped by the
/// destructor. Helpers throw std::runtime_error (with the sandbox's message) on any non-2xx
/// answer, so a failing setup fails the test clearly. Thread-safe: each call opens its own
/// connection.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Pipe.h>
#include <Poco/Process.h>

namespace dms::test {

class SandboxProcess {
 public:
  /// Default credentials of the sandbox (flags --client-id, --client-secret, --username,
  /// --password override them).
  static constexpr const char* kClientId = "sandbox-client";
  static constexpr const char* kClientSecret = "sandbox-secret";
  static constexpr const char* kUsername = "demo";
  static constexpr const char* kPassword = "demo-password";

  /// Starts the program and waits for its "listening" line. `extraArgs` are further flags,
  /// e.g. {"--token-lifetime", "2", "--fault", "getOrder:503:2:1"}. Add "--verbose" to keep
  /// the per-request log on stderr (the helper passes --quiet otherwise).
  explicit SandboxProcess(std::vector<std::string> extraArgs = {});
  ~SandboxProcess();
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;

  /// Path of the built program (build/samples/ambita-sandbox).
  static std::string executablePath();

  /// "http://127.0.0.1:PORT" — the API base URL to configure in a client.
  const std::string& baseUrl() const { return baseUrl_; }
  std::uint16_t port() const { return port_; }

  /// One HTTP answer.
  struct Reply {
    int status = 0;
    std::string body;
  };

  /// A raw request to this sandbox (control or API); never throws on an HTTP status.
  /// `body` is sent as application/json when not empty; `headers` are "Name: value" strings.
  Reply request(const std::string& method, const std::string& pathAndQuery,
                const std::string& body = "", const std::vector<std::string>& headers = {}) const;

  /// A control call that must succeed (2xx); returns the parsed JSON answer.
  Poco::Dynamic::Var control(const std::string& method, const std::string& path,
                             const std::string& jsonBody = "") const;

  /// Creates an order through the control API (no token, no faults): `kind` is cadastre,
  /// share or map, `jsonBody` the API's create-order body. Returns the order collection id.
  std::int64_t createOrder(const std::string& kind, const std::string& jsonBody) const;

  /// A ready-made cadastre order for the Meglerpakke in Infoland (9999-1-1-0-0).
  std::int64_t createDemoOrder(const std::string& reference = "assignment-1",
                               const std::string& technicalReference = "dms-case-1") const;

  /// Runs `count` script steps of an order (0 = all remaining); returns the order summary
  /// ({"status","done","remaining","ran","assets",...}).
  Poco::JSON::Object::Ptr step(std::int64_t orderId, int count = 1) const;

  /// Replaces the order's extra steps (fileAfterFinished, withdraw, cancel, refund).
  void setExtraSteps(std::int64_t orderId, const std::vector<std::string>& steps) const;

  /// Switches the payload generation of one order: "new" or "old".
  void setGeneration(std::int64_t orderId, const std::string& generation) const;

  /// A file to add to an order (fields as in the README's add-asset endpoint).
  struct AssetSpec {
    std::string name = "Dokument.pdf";
    std::string filename = "Dokument.pdf";
    std::string productCategory = "PRODUKT_UTEN_KATEGORI";
    std::uint64_t size = 1024;
    std::string level = "order";  ///< "order" or "line"
    std::int64_t lineId = 0;      ///< line level: 0 = the first non-package line
    std::string downloadUrl;      ///< empty: this sandbox's own URL
    std::string id;               ///< empty: random; else 32 lowercase hex digits
  };
  /// Adds a file (sends push UPDATED); returns the asset as the API shows it.
  Poco::JSON::Object::Ptr addAsset(std::int64_t orderId, const AssetSpec& spec) const;

  void withdraw(std::int64_t orderId, const std::string& assetId) const;
  void cancel(std::int64_t orderId) const;
  void refund(std::int64_t orderId) const;

  /// Queues a fault: endpoint token|products|createOrder|getOrder|download, kind
  /// status|429|503|cut|slow|malformed|drop|expire, count uses (0 = until cleared), arg per kind.
  void addFault(const std::string& endpoint, const std::string& kind, int count = 1,
                std::optional<int> arg = std::nullopt) const;
  void clearFaults() const;

  /// Every access token issued so far becomes invalid now.
  void expireTokens() const;
  /// Number of access tokens issued so far.
  std::uint64_t tokensIssued() const;

  /// Sets the push callback URL ("" disables pushes).
  void setPushUrl(const std::string& url) const;

  /// Size and SHA-256 (lowercase hex) of an asset's generated content.
  struct AssetInfo {
    std::uint64_t size = 0;
    std::string sha256;
    std::string assetStatus;
  };
  AssetInfo assetInfo(const std::string& assetId) const;

  /// The API request log ([{"method","target","endpoint","authorization","status","fault"}]).
  Poco::JSON::Array::Ptr requests() const;
  /// Entries of the request log for `endpoint` (e.g. "download", "getOrder").
  std::size_t requestCount(const std::string& endpoint) const;
  /// Entries of the request log for `endpoint` answered with an injected fault: proves that a
  /// queued fault really hit the client.
  std::size_t faultsHit(const std::string& endpoint) const;
  /// Empties the request log.
  void clearRequests() const;
  /// Push messages sent so far ([{"message":{...},"url","result"}]).
  Poco::JSON::Array::Ptr pushes() const;
  /// Push messages not delivered yet (result "pending": queued, or on their way with no answer
  /// read yet). Pushes go out from one thread of their own, after the call that caused them has
  /// returned: a test that counts what its pushes did waits for 0 first.
  std::size_t pushesPending() const;

  /// Obtains an access token with the password grant (default credentials).
  std::string passwordToken() const;

 private:
  std::unique_ptr<Poco::ProcessHandle> handle_;
  Poco::Pipe stdin_;
  Poco::Pipe stdout_;
  std::string baseUrl_;
  std::uint16_t port_ = 0;
};

}  // namespace dms::test
