#include "ExpectedArchive.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace dms::e2e {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return text;
}

bool validUtf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    if (c >= 0x80) {
      if ((c >> 5) == 0x6)
        extra = 1;
      else if ((c >> 4) == 0xE)
        extra = 2;
      else if ((c >> 3) == 0x1E)
        extra = 3;
      else
        return false;
    }
    if (i + extra >= text.size() && extra > 0) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    i += extra + 1;
  }
  return true;
}

void addAssets(const Array::Ptr& list, std::int64_t orderId, std::int64_t supplierOrderId,
               std::int64_t lineId, const test::SandboxProcess& sandbox,
               std::map<std::string, ExpectedAsset>& out, std::vector<std::string>& withdrawn) {
  if (!list) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto asset = list->getObject(static_cast<unsigned>(i));
    const auto id = asset->getValue<std::string>("id");
    if (asset->optValue<std::string>("assetStatus", "") != "OK") {
      withdrawn.push_back(id);
      continue;
    }
    ExpectedAsset expected;
    expected.id = id;
    expected.orderId = orderId;
    expected.supplierOrderId = supplierOrderId;
    expected.orderLineId = lineId;
    expected.name = asset->optValue<std::string>("name", "");
    expected.filename = asset->optValue<std::string>("filename", "");
    const auto info = sandbox.assetInfo(id);
    expected.size = info.size;
    expected.sha256 = info.sha256;
    out[id] = expected;
  }
}

std::string metadataValue(const FiledFile& file, const std::string& key) {
  auto it = file.metadata.find(key);
  return it == file.metadata.end() ? std::string() : it->second;
}

}  // namespace

ExpectedArchive ExpectedArchive::fromSandbox(const test::SandboxProcess& sandbox,
                                             const std::vector<std::int64_t>& orderIds) {
  ExpectedArchive result;
  for (const auto orderId : orderIds) {
    auto order = sandbox.control("GET", "/_sandbox/orders/" + std::to_string(orderId))
                     .extract<Object::Ptr>();
    const auto status = order->optValue<std::string>("status", "");
    std::map<std::string, ExpectedAsset> assets;
    auto suppliers = order->getArray("orders");
    for (std::size_t s = 0; suppliers && s < suppliers->size(); ++s) {
      auto supplier = suppliers->getObject(static_cast<unsigned>(s));
      const auto supplierId = supplier->getValue<std::int64_t>("id");
      addAssets(supplier->getArray("assets"), orderId, supplierId, 0, sandbox, assets,
                result.withdrawn_);
      auto lines = supplier->getArray("orderLines");
      for (std::size_t l = 0; lines && l < lines->size(); ++l) {
        auto line = lines->getObject(static_cast<unsigned>(l));
        addAssets(line->getArray("assets"), orderId, supplierId, line->getValue<std::int64_t>("id"),
                  sandbox, assets, result.withdrawn_);
      }
    }
    // A cancelled or refunded order keeps nothing in the archive.
    if (status == "CANCELLED" || status == "REFUNDED") {
      for (const auto& [id, asset] : assets) result.withdrawn_.push_back(id);
      continue;
    }
    result.assets_.insert(assets.begin(), assets.end());
  }
  return result;
}

std::string ExpectedArchive::segmentProblem(const std::string& segment) {
  if (segment.empty()) return "empty segment";
  if (segment == "." || segment == "..") return "dot segment";
  if (segment.size() > 255) return "longer than 255 bytes (" + std::to_string(segment.size()) + ")";
  for (unsigned char c : segment) {
    if (c < 0x20 || c == 0x7f) return "control character";
    if (c == '\\') return "backslash";
  }
  if (!validUtf8(segment)) return "invalid UTF-8";
  if (segment.front() == '.') return "hidden name";
  const std::string stem = upper(segment.substr(0, segment.find('.')));
  static const std::set<std::string> kDevices = {
      "CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
      "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
  if (kDevices.count(stem)) return "Windows device name";
  return "";
}

std::vector<std::string> ExpectedArchive::differences(
    const std::vector<FiledFile>& files, const std::vector<std::string>& leftovers) const {
  std::vector<std::string> problems;
  std::map<std::string, std::string> seen;  // asset id -> path
  const std::set<std::string> withdrawn(withdrawn_.begin(), withdrawn_.end());
  for (const auto& file : files) {
    std::istringstream segments(file.path);
    std::string segment;
    while (std::getline(segments, segment, '/'))
      if (auto problem = segmentProblem(segment); !problem.empty())
        problems.push_back(file.path + ": unsafe path segment (" + problem + ")");
    const auto assetId = metadataValue(file, "ambita.assetId");
    if (assetId.empty()) {
      problems.push_back(file.path + ": no ambita.assetId metadata (a file without its record?)");
      continue;
    }
    if (auto [it, fresh] = seen.emplace(assetId, file.path); !fresh) {
      problems.push_back("asset " + assetId + " filed twice: " + it->second + " and " + file.path);
      continue;
    }
    auto expected = assets_.find(assetId);
    if (expected == assets_.end()) {
      problems.push_back(file.path + ": asset " + assetId +
                         (withdrawn.count(assetId)
                              ? " was withdrawn or its order cancelled/refunded, but is still filed"
                              : " is not expected here"));
      continue;
    }
    const auto& asset = expected->second;
    if (file.size != asset.size || file.sha256 != asset.sha256)
      problems.push_back(file.path + ": bytes differ from the sandbox's (size " +
                         std::to_string(file.size) + " vs " + std::to_string(asset.size) +
                         ", sha256 " + file.sha256 + " vs " + asset.sha256 + ")");
    auto expectKey = [&](const std::string& key, const std::string& value) {
      const auto actual = metadataValue(file, key);
      if (actual != value)
        problems.push_back(file.path + ": metadata " + key + " is '" + actual + "', expected '" +
                           value + "'");
    };
    auto expectPresent = [&](const std::string& key) {
      if (metadataValue(file, key).empty())
        problems.push_back(file.path + ": metadata " + key + " missing");
    };
    expectKey("ambita.orderId", std::to_string(asset.orderId));
    expectKey("ambita.supplierOrderId", std::to_string(asset.supplierOrderId));
    if (asset.orderLineId != 0) {
      expectKey("ambita.orderLineId", std::to_string(asset.orderLineId));
      expectPresent("ambita.product");
      expectPresent("ambita.productName");
    }
    expectKey("ambita.sha256", asset.sha256);
    expectKey("ambita.size", std::to_string(asset.size));
    for (const auto* key :
         {"ambita.category", "ambita.supplier", "ambita.reference", "ambita.filedAt"})
      expectPresent(key);
  }
  for (const auto& [id, asset] : assets_)
    if (!seen.count(id))
      problems.push_back("asset " + id + " of order " + std::to_string(asset.orderId) + " ('" +
                         asset.filename + "') is missing");
  for (const auto& leftover : leftovers) problems.push_back("leftover in the archive: " + leftover);
  return problems;
}

std::vector<std::string> archiveDifferences(const ArchiveView& view,
                                            const test::SandboxProcess& sandbox,
                                            const std::vector<std::int64_t>& orderIds) {
  try {
    auto expected = ExpectedArchive::fromSandbox(sandbox, orderIds);
    return expected.differences(view.files(), view.leftovers());
  } catch (const std::exception& e) {
    // A file renamed or removed while the tree is read: report and let the caller poll again.
    return {std::string("reading ") + view.describe() + " failed: " + e.what()};
  }
}

std::vector<std::string> waitForArchive(const ArchiveView& view,
                                        const test::SandboxProcess& sandbox,
                                        const std::vector<std::int64_t>& orderIds, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    auto problems = archiveDifferences(view, sandbox, orderIds);
    if (problems.empty() || std::chrono::steady_clock::now() > deadline) return problems;
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
}

std::string describe(const std::vector<std::string>& problems) {
  std::string text;
  for (std::size_t i = 0; i < problems.size() && i < 40; ++i) text += "\n  " + problems[i];
  if (problems.size() > 40) text += "\n  ... and " + std::to_string(problems.size() - 40) + " more";
  return text;
}

}  // namespace dms::e2e
