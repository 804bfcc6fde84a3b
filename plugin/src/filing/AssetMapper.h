#pragma once
/// The mapping from an Ambita order to the host's folders, names and metadata: walks the assets
/// at both levels (supplier order and order line, deduplicated by id), and for each one renders
/// the folder template, the file-name template and the metadata set. Pure: no I/O; the config
/// it refers to must outlive it. Thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/Model.h"
#include "dms/DocumentTarget.h"
#include "filing/FilingConfig.h"
#include "filing/StateStore.h"

namespace ambita::filing {

/// One asset with where it sits in the order.
struct AssetContext {
  api::Asset asset;
  const api::SupplierOrder* supplierOrder = nullptr;  ///< points into the walked collection
  const api::OrderLine* orderLine = nullptr;          ///< null for supplier-order-level assets
};

/// Where one asset goes (before collision handling) and what travels with it.
struct MappedAsset {
  std::string folder;    ///< safe relative folder, "" = root
  std::string fileName;  ///< safe name
  CategoryInfo category;
  std::map<std::string, std::string> values;  ///< placeholder values used
};

class AssetMapper {
 public:
  explicit AssetMapper(const FilingConfig& config) : config_(config) {}

  /// Every asset of `order` once (by id), in payload order; an asset seen at both levels is
  /// taken with its order line (more specific). Assets without an id are skipped.
  static std::vector<AssetContext> walk(const api::OrderCollection& order);

  /// Folder, name and category of one asset.
  MappedAsset map(const api::OrderCollection& order, const AssetContext& context,
                  const TrackedOrder& tracked) const;

  /// The metadata written with a filed file.
  static dms::Metadata metadata(const api::OrderCollection& order, const AssetContext& context,
                                const MappedAsset& mapped, const std::string& sha256,
                                std::uint64_t size, const std::string& filedAt);

  /// A metadata value every target can carry (XML properties cannot hold control characters):
  /// control characters become "\\u0001"-style escapes, invalid UTF-8 bytes U+FFFD; the rest
  /// (any Unicode) is kept.
  static std::string metadataValue(const std::string& raw);

  /// "a/b" + "c.pdf" → "a/b/c.pdf"; "" + "c.pdf" → "c.pdf".
  static std::string join(const std::string& folder, const std::string& name);
  /// "a/b/c.pdf" → "a/b"; "c.pdf" → "".
  static std::string parent(const std::string& path);

 private:
  const FilingConfig& config_;
};

}  // namespace ambita::filing
