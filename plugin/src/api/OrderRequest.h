#pragma once
/// Building a NewOrder (POST /kode/v1/orders/{kind}) from typed input, validated before it is
/// sent: an order that Ambita would refuse is refused here with a message naming the field.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/Model.h"
#include "dms/Error.h"

namespace ambita::api {

class OrderRequest {
 public:
  /// orderData for `cadastre` orders. cadastre: "knr-gnr-bnr-fnr-snr", all five parts, knr 4
  /// digits (e.g. "0301-100-10-0-0"); address: "street, NNNN place".
  static dms::Result<std::string> cadastreData(const std::string& cadastre,
                                               const std::string& address);
  /// orderData for `share` orders: organizationNumber 9 digits, shareNumber digits.
  static dms::Result<std::string> shareData(const std::string& organizationNumber,
                                            const std::string& shareNumber);
  /// orderData for `map` orders: a GeoJSON Polygon (closed rings of >= 4 positions) and the
  /// spatial reference "25832" or "25833".
  static dms::Result<std::string> mapData(const std::string& geometryJson, const std::string& srid);

  /// A complete order. productCodes non-empty, each alphanumeric; productData keys must be
  /// among productCodes and values JSON objects; reference non-empty, no control characters.
  static dms::Result<NewOrder> make(OrderKind kind, std::string orderDataJson,
                                    std::vector<std::string> productCodes,
                                    std::vector<std::pair<std::string, std::string>> productData,
                                    std::string reference, std::string technicalReference = "",
                                    std::string deliveryInfoJson = "");

  /// The JSON request body of `order`. InvalidArgument if an embedded JSON text is malformed.
  static dms::Result<std::string> body(const NewOrder& order);

  /// "cadastre", "share", "map": the path segment of the kind.
  static std::string kindName(OrderKind kind);
  static std::optional<OrderKind> parseKind(const std::string& name);
};

}  // namespace ambita::api
