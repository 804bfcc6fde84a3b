#include "FakeOrderApi.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace ambita::test {

void FakeOrderApi::setOrder(const api::OrderCollection& order) {
  std::lock_guard lock(mutex_);
  orders_[order.id] = order;
}

void FakeOrderApi::failGetOrder(std::int64_t id, std::optional<dms::ErrorCode> code) {
  std::lock_guard lock(mutex_);
  if (code)
    orderFaults_[id] = *code;
  else
    orderFaults_.erase(id);
}

void FakeOrderApi::failDownload(const std::string& url, std::optional<dms::ErrorCode> code) {
  std::lock_guard lock(mutex_);
  if (code)
    downloadFaults_[url] = *code;
  else
    downloadFaults_.erase(url);
}

std::string FakeOrderApi::contentFor(const std::string& url) {
  std::size_t size = 1000;
  if (auto q = url.find("?size="); q != std::string::npos) size = std::stoul(url.substr(q + 6));
  const std::string pattern = "<" + url + ">";
  std::string out;
  out.reserve(size);
  while (out.size() < size) out += pattern;
  out.resize(size);
  return out;
}

std::string sha256Hex(const std::string& bytes) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(bytes);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

dms::Result<api::OrderCollection> FakeOrderApi::getOrder(std::int64_t orderId) {
  ++getOrders_;
  if (getOrderHook_) getOrderHook_(orderId);
  std::lock_guard lock(mutex_);
  if (auto f = orderFaults_.find(orderId); f != orderFaults_.end())
    return dms::fail(f->second, "injected failure for order " + std::to_string(orderId));
  auto it = orders_.find(orderId);
  if (it == orders_.end())
    return dms::fail(dms::ErrorCode::NotFound, "order " + std::to_string(orderId) + " not found");
  return it->second;
}

void FakeOrderApi::cutDownloadsShort(const std::string& url, std::optional<std::size_t> bytes) {
  std::lock_guard lock(mutex_);
  if (bytes)
    cutShort_[url] = *bytes;
  else
    cutShort_.erase(url);
}

dms::Result<api::Download> FakeOrderApi::streamAsset(const std::string& downloadUrl,
                                                     const BodyConsumer& consume) {
  const int n = ++downloads_;
  if (hook_) hook_(n);
  std::optional<std::size_t> cutAfter;
  {
    std::lock_guard lock(mutex_);
    if (auto f = downloadFaults_.find(downloadUrl); f != downloadFaults_.end())
      return dms::fail(f->second, "injected download failure");
    if (auto c = cutShort_.find(downloadUrl); c != cutShort_.end()) cutAfter = c->second;
  }
  const int now = ++inFlight_;
  int seen = maxInFlight_.load();
  while (now > seen && !maxInFlight_.compare_exchange_weak(seen, now)) {
  }
  struct InFlight {
    std::atomic<int>& count;
    ~InFlight() { --count; }
  } inFlight{inFlight_};
  // Long enough that concurrent downloads overlap, short enough for fast tests.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string bytes = contentFor(downloadUrl);
  // Served as a body with a Content-Length, of which a cut-short download sends only a part.
  std::istringstream served(cutAfter ? bytes.substr(0, *cutAfter) : bytes);
  std::vector<char> buffer(4096);
  api::DownloadBody body(
      [&served](char* into, std::size_t size) {
        return static_cast<std::size_t>(
            served.rdbuf()->sgetn(into, static_cast<std::streamsize>(size)));
      },
      buffer, {bytes.size(), 1ULL << 40}, [] { return false; }, "download " + downloadUrl,
      sha256());
  const dms::Status consumed = consume(body);
  if (body.failure()) return *body.failure();
  if (!consumed) return consumed.error();
  return body.result();
}

api::Asset makeAsset(const std::string& id, const std::string& filename,
                     const std::string& category, const std::string& status, std::size_t size) {
  api::Asset a;
  a.id = id;
  a.filename = filename;
  a.name = "orig-" + filename;
  a.downloadUrl = "https://api.test/shopping/v2/assets/" + id + "?size=" + std::to_string(size);
  a.status = status;
  a.productCategory = category;
  return a;
}

}  // namespace ambita::test
