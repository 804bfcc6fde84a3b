#include "SyncWorkload.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <random>
#include <stdexcept>

namespace dms::bench {
namespace {

constexpr const char* kCategories[] = {"PLAN_KART_REGULERING", "KOMMUNAL_INFORMASJON",
                                       "FERDIGATTEST_OG_MIDLERTIDIG_BRUKSTILLATELSE",
                                       "PRODUKT_UTEN_KATEGORI"};

std::string numbered(const char* pattern, int n) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, n);
  return buffer;
}

void collectAssets(const Poco::JSON::Array::Ptr& list, std::int64_t orderId,
                   std::vector<BenchAsset>& into) {
  if (!list) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto asset = list->getObject(static_cast<unsigned>(i));
    if (!asset || asset->optValue<std::string>("assetStatus", "") != "OK") continue;
    BenchAsset a;
    a.id = asset->getValue<std::string>("id");
    a.orderId = orderId;
    a.downloadUrl = asset->getValue<std::string>("downloadUrl");
    into.push_back(std::move(a));
  }
}

}  // namespace

SyncWorkload::SyncWorkload(const test::SandboxProcess& sandbox, const WorkloadParams& params) {
  for (int k = 0; k < params.orders; ++k) {
    const auto id = sandbox.createDemoOrder("bench-" + std::to_string(k + 1),
                                            "bench-case-" + std::to_string(k + 1));
    sandbox.step(id, 0);  // the whole script: FINISHED with its scripted files
    orderIds_.push_back(id);
  }

  std::mt19937_64 random(params.seed);
  auto uniform = [&](std::uint64_t low, std::uint64_t high) {
    return std::uniform_int_distribution<std::uint64_t>(low, high)(random);
  };
  for (int i = 0; i < params.files + params.bigFiles; ++i) {
    const bool big = i >= params.files;
    test::SandboxProcess::AssetSpec spec;
    if (big) {
      spec.size =
          uniform(std::uint64_t(params.bigMinMb) << 20, std::uint64_t(params.bigMaxMb) << 20);
      spec.name = numbered("Kartgrunnlag %03d.zip", i - params.files + 1);
    } else {
      spec.size = uniform(std::uint64_t(params.minKb) << 10, std::uint64_t(params.maxKb) << 10);
      spec.name = numbered("Vedlegg %03d æøå.pdf", i + 1);
    }
    spec.filename = spec.name;
    spec.productCategory = kCategories[i % 4];
    spec.level = i % 2 == 0 ? "order" : "line";
    sandbox.addAsset(orderIds_[static_cast<std::size_t>(i) % orderIds_.size()], spec);
  }

  // Read back what the API shows: both levels of every supplier order.
  for (const auto orderId : orderIds_) {
    auto order = sandbox.control("GET", "/_sandbox/orders/" + std::to_string(orderId))
                     .extract<Poco::JSON::Object::Ptr>();
    auto suppliers = order->getArray("orders");
    for (std::size_t s = 0; suppliers && s < suppliers->size(); ++s) {
      auto supplier = suppliers->getObject(static_cast<unsigned>(s));
      collectAssets(supplier->getArray("assets"), orderId, assets_);
      auto lines = supplier->getArray("orderLines");
      for (std::size_t l = 0; lines && l < lines->size(); ++l)
        collectAssets(lines->getObject(static_cast<unsigned>(l))->getArray("assets"), orderId,
                      assets_);
    }
  }
  for (auto& a : assets_) {
    const auto info = sandbox.assetInfo(a.id);
    a.size = info.size;
    a.sha256 = info.sha256;
    totalBytes_ += a.size;
  }
  // Each order has scripted files too, so the API must list more than were added.
  if (assets_.size() <= static_cast<std::size_t>(params.files + params.bigFiles))
    throw std::runtime_error("the sandbox lists " + std::to_string(assets_.size()) +
                             " files, fewer than were made");
}

std::map<std::string, int> SyncWorkload::expectedDigests() const {
  std::map<std::string, int> counts;
  for (const auto& a : assets_) ++counts[a.sha256];
  return counts;
}

}  // namespace dms::bench
