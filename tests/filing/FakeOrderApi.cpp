#include "FakeOrderApi.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <chrono>
#include <fstream>
#include <thread>

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
  std::lock_guard lock(mutex_);
  if (auto f = orderFaults_.find(orderId); f != orderFaults_.end())
    return dms::fail(f->second, "injected failure for order " + std::to_string(orderId));
  auto it = orders_.find(orderId);
  if (it == orders_.end())
    return dms::fail(dms::ErrorCode::NotFound, "order " + std::to_string(orderId) + " not found");
  return it->second;
}

dms::Result<api::Download> FakeOrderApi::downloadAsset(const std::string& downloadUrl,
                                                       const std::filesystem::path& destination) {
  const int n = ++downloads_;
  if (hook_) hook_(n);
  {
    std::lock_guard lock(mutex_);
    if (auto f = downloadFaults_.find(downloadUrl); f != downloadFaults_.end())
      return dms::fail(f->second, "injected download failure");
  }
  const int now = ++inFlight_;
  int seen = maxInFlight_.load();
  while (now > seen && !maxInFlight_.compare_exchange_weak(seen, now)) {
  }
  // Long enough that concurrent downloads overlap, short enough for fast tests.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string bytes = contentFor(downloadUrl);
  {
    std::ofstream out(destination, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      --inFlight_;
      return dms::fail(dms::ErrorCode::InsufficientStorage, "cannot write " + destination.string());
    }
  }
  --inFlight_;
  return api::Download{bytes.size(), sha256Hex(bytes)};
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
