#include "filing/AssetMapper.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "commands/Money.h"
#include "filing/SafeName.h"

namespace ambita::filing {
namespace {

/// Every metadata key the plugin writes starts with it.
constexpr std::string_view kMetadataKeyPrefix = "ambita.";

/// A price from the order as decimal NOK ("123.50"); "" when absent or not an amount.
std::string nokText(const std::optional<double>& nok) {
  if (!nok) return "";
  auto ore = commands::parseOre(Poco::Dynamic::Var(*nok), "price");
  return ore ? commands::formatNok(*ore) : "";
}

/// The product an order-level asset belongs to: the package line, or the only line.
const api::OrderLine* representativeLine(const api::SupplierOrder& so) {
  if (so.orderLines.size() == 1) return &so.orderLines.front();
  for (const auto& line : so.orderLines)
    if (line.productType == "PACKAGE" && !line.packageLineId) return &line;
  return nullptr;
}

}  // namespace

std::string AssetMapper::metadataValue(const std::string& raw) {
  // Most values are printable ASCII: copied whole rather than a code point at a time.
  if (std::all_of(raw.begin(), raw.end(), [](char c) { return c >= 0x20 && c < 0x7F; })) return raw;
  std::string out;
  out.reserve(raw.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(raw.data());
  const auto length = static_cast<utf8proc_ssize_t>(raw.size());
  utf8proc_ssize_t pos = 0;
  while (pos < length) {
    utf8proc_int32_t cp = bytes[pos];
    // ASCII (most values) is one byte a code point: no decoding needed.
    const utf8proc_ssize_t n = cp < 0x80 ? 1 : utf8proc_iterate(bytes + pos, length - pos, &cp);
    if (n <= 0) {  // invalid UTF-8: the replacement character
      out += "\xEF\xBF\xBD";
      ++pos;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(cp));
      out += escaped;
    } else {
      out.append(raw, static_cast<std::size_t>(pos), static_cast<std::size_t>(n));
    }
    pos += n;
  }
  return out;
}

std::vector<AssetContext> AssetMapper::walk(const api::OrderCollection& order) {
  std::vector<AssetContext> out;
  std::map<std::string, std::size_t> index;
  auto add = [&](const api::Asset& asset, const api::SupplierOrder& so,
                 const api::OrderLine* line) {
    if (asset.id.empty()) return;
    auto it = index.find(asset.id);
    if (it == index.end()) {
      index.emplace(asset.id, out.size());
      out.push_back(AssetContext{asset, &so, line});
    } else if (line != nullptr && out[it->second].orderLine == nullptr) {
      out[it->second] = AssetContext{asset, &so, line};
    }
  };
  for (const auto& so : order.orders) {
    for (const auto& asset : so.assets) add(asset, so, nullptr);
    for (const auto& line : so.orderLines)
      for (const auto& asset : line.assets) add(asset, so, &line);
  }
  return out;
}

MappedAsset AssetMapper::map(const api::OrderCollection& order, const AssetContext& context,
                             const TrackedOrder& tracked) const {
  MappedAsset m;
  const auto& asset = context.asset;
  const auto* so = context.supplierOrder;
  const auto* line =
      context.orderLine ? context.orderLine : (so ? representativeLine(*so) : nullptr);
  m.category = config_.categories.lookup(asset.productCategory);
  auto& v = m.values;
  v["reference"] = tracked.reference;
  v["technicalReference"] = !tracked.technicalReference.empty()
                                ? tracked.technicalReference
                                : (so ? so->technicalReference : "");
  v["orderId"] = std::to_string(order.id);
  v["supplier"] = so ? so->supplierName : "";
  v["supplierOrderId"] = so && so->id != 0 ? std::to_string(so->id) : "";
  v["product"] = line ? line->product : "";
  v["productName"] = line ? line->productName : "";
  v["orderLineId"] = context.orderLine ? std::to_string(context.orderLine->id) : "";
  v["category"] = asset.productCategory;
  v["categoryFolder"] = m.category.folder;
  v["documentType"] = m.category.documentType;
  v["cadastre"] = tracked.cadastre;
  v["address"] = tracked.address;
  v["filename"] = asset.filename;
  v["name"] = asset.name;
  v["assetId"] = asset.id;
  const std::string& source = !asset.filename.empty() ? asset.filename : asset.name;
  v["ext"] = SafeName::splitExtension(source).second;
  if (!v["ext"].empty()) v["ext"].erase(0, 1);

  std::string folder;
  for (const auto& segment : config_.folderTemplate.render(v, config_.maxNameBytes))
    folder = join(folder, segment);
  m.folder = folder;
  auto names = config_.fileNameTemplate.render(v, config_.maxNameBytes);
  m.fileName =
      names.empty() ? SafeName::segment(asset.id, "_", config_.maxNameBytes) : names.front();
  return m;
}

dms::Metadata AssetMapper::metadata(const api::OrderCollection& order, const AssetContext& context,
                                    const MappedAsset& mapped, const std::string& sha256,
                                    std::uint64_t size, const std::string& filedAt) {
  // Per filed file, ~17 keys: each key is built once and moved into its node, values are looked
  // up by reference (issue 15, filecpu2: this function's allocations showed in profiles).
  dms::Metadata md;
  auto put = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    std::string name;
    name.reserve(kMetadataKeyPrefix.size() + key.size());
    name.append(kMetadataKeyPrefix).append(key);
    md.emplace_hint(md.end(), std::move(name), metadataValue(value));
  };
  const auto& v = mapped.values;
  const std::string none;
  auto value = [&](const char* key) -> const std::string& {
    auto it = v.find(key);
    return it == v.end() ? none : it->second;
  };
  put("assetId", context.asset.id);
  put("orderId", std::to_string(order.id));
  put("supplierOrderId", value("supplierOrderId"));
  put("orderLineId", value("orderLineId"));
  put("product", value("product"));
  put("productName", value("productName"));
  put("category", context.asset.productCategory);
  put("documentType", mapped.category.documentType);
  put("supplier", value("supplier"));
  put("reference", value("reference"));
  put("technicalReference", value("technicalReference"));
  put("cadastre", value("cadastre"));
  put("address", value("address"));
  put("name", context.asset.name);
  put("filename", context.asset.filename);
  put("sha256", sha256);
  md["ambita.size"] = std::to_string(size);
  put("filedAt", filedAt);
  if (context.orderLine) {
    // The line's price as Ambita reports it (priceVat: including VAT), "1650.40" in NOK.
    put("priceNet", nokText(context.orderLine->priceNet));
    put("priceVat", nokText(context.orderLine->priceVat));
  }
  return md;
}

std::string AssetMapper::join(const std::string& folder, const std::string& name) {
  if (folder.empty()) return name;
  if (name.empty()) return folder;
  return folder + "/" + name;
}

std::string AssetMapper::parent(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace ambita::filing
