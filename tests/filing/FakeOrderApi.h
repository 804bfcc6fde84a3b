#pragma once
/// An in-memory OrderApi for engine tests: orders are set by the test; downloads write
/// deterministic bytes derived from the URL (contentFor()), count themselves, and can be made
/// to fail. Thread-safe.

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "api/OrderApi.h"

namespace ambita::test {

class FakeOrderApi final : public api::OrderApi {
 public:
  /// Replaces (or adds) an order.
  void setOrder(const api::OrderCollection& order);
  /// getOrder(id) fails with `code` until cleared (std::nullopt).
  void failGetOrder(std::int64_t id, std::optional<dms::ErrorCode> code);
  /// Downloads of `url` fail with `code` (NotFound for a withdrawn asset) until cleared.
  void failDownload(const std::string& url, std::optional<dms::ErrorCode> code);
  /// Downloads of `url` declare the full size but break off after `bytes` bytes (the consumer
  /// sees a failing body; the download ends with DataLoss) until cleared (std::nullopt).
  void cutDownloadsShort(const std::string& url, std::optional<std::size_t> bytes);
  /// Called at the start of every download with its 1-based number counted since construction
  /// (crash tests).
  void onDownload(std::function<void(int)> hook) { hook_ = std::move(hook); }
  /// Called at the start of every getOrder with the order's id, outside the fake's lock (a
  /// test may block one order's GET until another's has started). Set it before the calls.
  void onGetOrder(std::function<void(std::int64_t)> hook) { getOrderHook_ = std::move(hook); }

  /// The bytes served for `url`: size from a "?size=N" suffix (default 1000), content a
  /// repeating pattern that names the URL.
  static std::string contentFor(const std::string& url);

  int downloads() const { return downloads_.load(); }
  int getOrders() const { return getOrders_.load(); }
  int maxConcurrentDownloads() const { return maxInFlight_.load(); }

  // api::OrderApi
  dms::Result<api::OrderCollection> getOrder(std::int64_t orderId) override;
  dms::Result<api::Download> streamAsset(const std::string& downloadUrl,
                                         const BodyConsumer& consume) override;

 private:
  mutable std::mutex mutex_;
  std::map<std::int64_t, api::OrderCollection> orders_;
  std::map<std::int64_t, dms::ErrorCode> orderFaults_;
  std::map<std::string, dms::ErrorCode> downloadFaults_;
  std::map<std::string, std::size_t> cutShort_;
  std::function<void(int)> hook_;
  std::function<void(std::int64_t)> getOrderHook_;
  std::atomic<int> downloads_{0};
  std::atomic<int> getOrders_{0};
  std::atomic<int> inFlight_{0};
  std::atomic<int> maxInFlight_{0};
};

/// Builders for readable test orders.
api::Asset makeAsset(const std::string& id, const std::string& filename,
                     const std::string& category = "PLAN_KART_REGULERING",
                     const std::string& status = "OK", std::size_t size = 1000);

/// SHA-256 (lower-case hex) of `bytes`.
std::string sha256Hex(const std::string& bytes);

}  // namespace ambita::test
