#pragma once
/// Typed values of the Ambita kode/v1 API as the plugin understands it
/// (../shared/ambita-api.md). Parsed tolerantly by api/ModelParser: both payload
/// generations, statuses as open strings.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ambita::api {

/// A code with its display name, e.g. {"DIGITAL", "Elektronisk"}. Either may be empty.
struct CodeName {
  std::string code;
  std::string name;

  bool operator==(const CodeName&) const = default;
};

struct Product {
  std::string code;  ///< "WI99990033"
  std::string name;
  std::string description;
  CodeName delivery;
  CodeName inputType;  ///< CADASTRE, SHARE, MAP (open set)
  std::optional<double> salesPriceNet;
  std::optional<double> salesPriceVat;
  CodeName status;
  CodeName type;  ///< PACKAGE, NORMAL, ...
  std::vector<CodeName> children;
};

/// A delivered file.
struct Asset {
  std::string id;        ///< unique, the key for "filed before"
  std::string name;      ///< the uploaded file's own name; may be empty or hostile
  std::string filename;  ///< Ambita's descriptive name; may be empty or hostile
  std::string downloadUrl;
  std::string status;           ///< "OK", "DELETED" or anything else (kept as is)
  std::string productCategory;  ///< open set, e.g. "PLAN_KART_REGULERING"; may be empty

  bool operator==(const Asset&) const = default;
};

struct OrderLine {
  std::int64_t id = 0;
  std::string status;   ///< "NEW", "FINISHED", ... (code when the payload had an object)
  std::string product;  ///< product code
  std::string productName;
  std::string productType;  ///< "NORMAL"/"PACKAGE" (older "0"/"1" mapped to these)
  std::string mediaType;
  std::string delivery;
  std::optional<double> priceNet;
  std::optional<double> priceVat;
  std::string dateStatus;  ///< as sent (either date format)
  std::optional<std::int64_t> packageLineId;
  std::vector<Asset> assets;  ///< line-level files (newer generation only)

  bool operator==(const OrderLine&) const = default;
};

/// One supplier's order inside a collection.
struct SupplierOrder {
  std::int64_t id = 0;
  std::string supplierName;
  std::string user;
  std::string technicalReference;
  std::vector<Asset> assets;  ///< order-level files
  std::vector<OrderLine> orderLines;

  bool operator==(const SupplierOrder&) const = default;
};

/// GET /kode/v1/orders/{id}: what Ambita calls the order (collection).
struct OrderCollection {
  std::int64_t id = 0;
  std::string status;     ///< NEW, PROGRESS, FINISHED, CANCELLED, REFUNDED, or unknown (kept)
  std::string reference;  ///< as ordered ("" when the answer leaves it out)
  std::string technicalReference;  ///< as ordered ("" when absent)
  std::optional<double> priceNet;
  std::optional<double> priceVat;
  std::string dateOrdered;  ///< as sent
  std::string dateStatus;   ///< as sent
  std::vector<SupplierOrder> orders;

  bool operator==(const OrderCollection&) const = default;
};

enum class OrderKind { Cadastre, Share, Map };

/// POST /kode/v1/orders/{kind}. orderDataJson is the "orderData" object as JSON text, built by
/// api/OrderRequest helpers from typed input (cadastre+address, org number+share, geometry).
struct NewOrder {
  OrderKind kind = OrderKind::Cadastre;
  std::string orderDataJson;
  std::vector<std::string> productCodes;
  /// Extra per-product "data" objects as JSON text, by product code (map products).
  std::vector<std::pair<std::string, std::string>> productData;
  std::string reference;           ///< required
  std::string technicalReference;  ///< optional
  std::string deliveryInfoJson;    ///< optional "deliveryInformation" object as JSON text
};

/// A push message body as far as it is trusted: only the order id decides anything.
struct PushMessage {
  std::int64_t orderCollectionId = 0;
  std::string status;  ///< NEW, UPDATED, FINISHED, CANCELLED, REFUNDED, or unknown
  std::string reference;
  std::string technicalReference;
};

/// Result of streaming one asset to a local file.
struct Download {
  std::uint64_t size = 0;
  std::string sha256Hex;  ///< lower-case hex
};

}  // namespace ambita::api
