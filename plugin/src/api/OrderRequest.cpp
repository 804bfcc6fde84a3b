#include "api/OrderRequest.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/SharedPtr.h>

#include "api/ModelParser.h"

namespace ambita::api {
namespace {

dms::Error invalid(const std::string& message) {
  return dms::fail(dms::ErrorCode::InvalidArgument, message);
}

bool hasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::string stringify(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

bool isObject(const Poco::Dynamic::Var& v) {
  return v.type() == typeid(Poco::JSON::Object::Ptr);
}

/// Checks one linear ring of a polygon: >= 4 positions of >= 2 finite numbers, closed.
std::optional<std::string> checkRing(const Poco::Dynamic::Var& ring, const std::string& where) {
  if (ring.type() != typeid(Poco::JSON::Array::Ptr)) return where + ": expected an array";
  auto positions = ring.extract<Poco::JSON::Array::Ptr>();
  if (positions->size() < 4) return where + ": a ring needs at least 4 positions";
  std::vector<std::vector<double>> coords;
  for (std::size_t i = 0; i < positions->size(); ++i) {
    const Poco::Dynamic::Var p = positions->get(static_cast<unsigned>(i));
    const std::string pw = where + "[" + std::to_string(i) + "]";
    if (p.type() != typeid(Poco::JSON::Array::Ptr)) return pw + ": expected [x, y]";
    auto xy = p.extract<Poco::JSON::Array::Ptr>();
    if (xy->size() < 2) return pw + ": expected [x, y]";
    std::vector<double> c;
    for (std::size_t k = 0; k < xy->size(); ++k) {
      const Poco::Dynamic::Var n = xy->get(static_cast<unsigned>(k));
      if (!n.isNumeric() || n.isBoolean()) return pw + ": coordinates must be numbers";
      c.push_back(n.convert<double>());
    }
    coords.push_back(std::move(c));
  }
  if (coords.front() != coords.back())
    return where + ": ring is not closed (first and last positions differ)";
  return std::nullopt;
}

}  // namespace

std::string OrderRequest::kindName(OrderKind kind) {
  switch (kind) {
    case OrderKind::Cadastre:
      return "cadastre";
    case OrderKind::Share:
      return "share";
    case OrderKind::Map:
      return "map";
  }
  return "cadastre";
}

std::optional<OrderKind> OrderRequest::parseKind(const std::string& name) {
  if (name == "cadastre") return OrderKind::Cadastre;
  if (name == "share") return OrderKind::Share;
  if (name == "map") return OrderKind::Map;
  return std::nullopt;
}

dms::Result<std::string> OrderRequest::cadastreData(const std::string& cadastre,
                                                    const std::string& address) {
  static const std::regex kCadastre(R"(^\d{4}-\d{1,5}-\d{1,5}-\d{1,5}-\d{1,5}$)");
  // "street, NNNN place": a street part, comma, a 4-digit postcode and a place name.
  static const std::regex kAddress(R"(^[^,]*\S[^,]*, \d{4} \S.*$)");
  if (!std::regex_match(cadastre, kCadastre))
    return invalid(
        "cadastre: expected knr-gnr-bnr-fnr-snr with all five parts (e.g. "
        "0301-100-10-0-0), got '" +
        cadastre + "'");
  if (hasControl(address) || !std::regex_match(address, kAddress))
    return invalid(
        "address: expected 'street, NNNN place' (e.g. 'Infoveien 1, 9999 Infoland'), "
        "got '" +
        address + "'");
  Poco::JSON::Object data(Poco::JSON_PRESERVE_KEY_ORDER);
  data.set("address", address);
  data.set("cadastre", cadastre);
  return stringify(data);
}

dms::Result<std::string> OrderRequest::shareData(const std::string& organizationNumber,
                                                 const std::string& shareNumber) {
  static const std::regex kOrg(R"(^\d{9}$)");
  static const std::regex kShare(R"(^\d{1,9}$)");
  if (!std::regex_match(organizationNumber, kOrg))
    return invalid("organizationNumber: expected 9 digits, got '" + organizationNumber + "'");
  if (!std::regex_match(shareNumber, kShare))
    return invalid("shareNumber: expected a number (digits), got '" + shareNumber + "'");
  Poco::JSON::Object data(Poco::JSON_PRESERVE_KEY_ORDER);
  data.set("organizationNumber", organizationNumber);
  data.set("shareNumber", shareNumber);
  return stringify(data);
}

dms::Result<std::string> OrderRequest::mapData(const std::string& geometryJson,
                                               const std::string& srid) {
  if (srid != "25832" && srid != "25833")
    return invalid("spatialReference: expected 25832 or 25833, got '" + srid + "'");
  auto parsed = ModelParser::parseJson(geometryJson);
  if (!parsed) return invalid("geometry: " + parsed.error().message);
  if (!isObject(*parsed)) return invalid("geometry: expected a GeoJSON object");
  auto geometry = parsed->extract<Poco::JSON::Object::Ptr>();
  if (geometry->optValue<std::string>("type", "") != "Polygon")
    return invalid("geometry.type: expected \"Polygon\"");
  if (!geometry->has("coordinates") ||
      geometry->get("coordinates").type() != typeid(Poco::JSON::Array::Ptr))
    return invalid("geometry.coordinates: expected an array of rings");
  auto rings = geometry->getArray("coordinates");
  if (rings->size() == 0) return invalid("geometry.coordinates: needs at least one ring");
  for (std::size_t i = 0; i < rings->size(); ++i) {
    if (auto problem = checkRing(rings->get(static_cast<unsigned>(i)),
                                 "geometry.coordinates[" + std::to_string(i) + "]"))
      return invalid(*problem);
  }
  Poco::JSON::Object data(Poco::JSON_PRESERVE_KEY_ORDER);
  data.set("geometry", geometry);
  data.set("spatialReference", srid);
  return stringify(data);
}

dms::Result<NewOrder> OrderRequest::make(
    OrderKind kind, std::string orderDataJson, std::vector<std::string> productCodes,
    std::vector<std::pair<std::string, std::string>> productData, std::string reference,
    std::string technicalReference, std::string deliveryInfoJson) {
  static const std::regex kCode(R"(^[A-Za-z0-9_-]{1,40}$)");
  if (productCodes.empty()) return invalid("products: at least one product code is required");
  for (const auto& code : productCodes)
    if (!std::regex_match(code, kCode))
      return invalid("product: '" + code + "' is not a product code (e.g. WI99990033)");
  for (const auto& [code, json] : productData) {
    if (std::find(productCodes.begin(), productCodes.end(), code) == productCodes.end())
      return invalid("product data for '" + code + "': that product is not in the order");
    auto parsed = ModelParser::parseJson(json);
    if (!parsed || !isObject(*parsed))
      return invalid("product data for '" + code +
                     "': expected a JSON object, e.g. "
                     "{\"system\": \"UTM\"}");
  }
  auto data = ModelParser::parseJson(orderDataJson);
  if (!data || !isObject(*data)) return invalid("orderData: expected a JSON object");
  if (reference.empty()) return invalid("reference: required (e.g. the case number)");
  if (hasControl(reference)) return invalid("reference: must not contain control characters");
  if (hasControl(technicalReference))
    return invalid("technicalReference: must not contain control characters");
  if (!deliveryInfoJson.empty()) {
    auto d = ModelParser::parseJson(deliveryInfoJson);
    if (!d || !isObject(*d)) return invalid("deliveryInformation: expected a JSON object");
  }
  NewOrder o;
  o.kind = kind;
  o.orderDataJson = std::move(orderDataJson);
  o.productCodes = std::move(productCodes);
  o.productData = std::move(productData);
  o.reference = std::move(reference);
  o.technicalReference = std::move(technicalReference);
  o.deliveryInfoJson = std::move(deliveryInfoJson);
  return o;
}

dms::Result<std::string> OrderRequest::body(const NewOrder& order) {
  auto data = ModelParser::parseJson(order.orderDataJson);
  if (!data || !isObject(*data)) return invalid("orderData: expected a JSON object");
  Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
  root.set("orderData", *data);
  auto products = Poco::makeShared<Poco::JSON::Array>();
  for (const auto& code : order.productCodes) {
    auto p = Poco::makeShared<Poco::JSON::Object>(Poco::JSON_PRESERVE_KEY_ORDER);
    p->set("code", code);
    for (const auto& [dataCode, json] : order.productData) {
      if (dataCode != code) continue;
      auto parsed = ModelParser::parseJson(json);
      if (!parsed || !isObject(*parsed))
        return invalid("product data for '" + code + "': expected a JSON object");
      p->set("data", *parsed);
    }
    products->add(p);
  }
  root.set("products", products);
  root.set("reference", order.reference);
  if (!order.technicalReference.empty()) root.set("technicalReference", order.technicalReference);
  if (!order.deliveryInfoJson.empty()) {
    auto d = ModelParser::parseJson(order.deliveryInfoJson);
    if (!d || !isObject(*d)) return invalid("deliveryInformation: expected a JSON object");
    root.set("deliveryInformation", *d);
  }
  return stringify(root);
}

}  // namespace ambita::api
