#include "OrderValidator.h"

#include <regex>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace sandbox {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

/// Quotes a user-supplied value for an error message, shortened so a huge value cannot flood it.
std::string inQuotes(const std::string& value) {
  return "'" + (value.size() > 80 ? value.substr(0, 80) + "..." : value) + "'";
}

/// A string field, or a number given where a string is expected (accepted for ids).
bool stringField(const Object& object, const std::string& key, std::string& out, bool allowNumber) {
  if (!object.has(key)) return false;
  Poco::Dynamic::Var value = object.get(key);
  if (value.isString() || (allowNumber && value.isNumeric())) {
    out = value.toString();
    return true;
  }
  return false;
}

std::string validatePolygon(const Object& orderData) {
  if (!orderData.has("geometry")) return "orderData.geometry: missing (a GeoJSON Polygon)";
  Object::Ptr geometry = orderData.getObject("geometry");
  if (!geometry) return "orderData.geometry: expected an object (a GeoJSON Polygon)";
  std::string type;
  if (!stringField(*geometry, "type", type, false) || type != "Polygon")
    return "orderData.geometry.type: expected 'Polygon', got " +
           (geometry->has("type") ? inQuotes(geometry->get("type").toString()) : "nothing");
  Array::Ptr rings = geometry->getArray("coordinates");
  if (!rings || rings->size() == 0)
    return "orderData.geometry.coordinates: expected an array of linear rings";
  for (std::size_t r = 0; r < rings->size(); ++r) {
    const std::string ringPath = "orderData.geometry.coordinates[" + std::to_string(r) + "]";
    Array::Ptr ring = rings->getArray(static_cast<unsigned>(r));
    if (!ring || ring->size() < 4) return ringPath + ": expected a ring of at least 4 positions";
    std::vector<std::pair<double, double>> points;
    for (std::size_t p = 0; p < ring->size(); ++p) {
      Array::Ptr position = ring->getArray(static_cast<unsigned>(p));
      if (!position || position->size() < 2 || !position->get(0).isNumeric() ||
          !position->get(1).isNumeric())
        return ringPath + "[" + std::to_string(p) + "]: expected a position [x, y]";
      points.emplace_back(position->get(0).convert<double>(), position->get(1).convert<double>());
    }
    if (points.front() != points.back())
      return ringPath + ": ring is not closed (first and last positions differ)";
  }
  return {};
}

}  // namespace

std::string OrderValidator::validate(const std::string& kind, const std::string& body,
                                     OrderRequest& out, Purpose purpose) const {
  out = OrderRequest{};
  out.kind = kind;
  Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(body).extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return "body: not a JSON object (" + e.message() + ")";
  }
  if (!root) return "body: not a JSON object";

  if (purpose == Purpose::Order || root->has("reference")) {
    if (!stringField(*root, "reference", out.reference, true) || out.reference.empty())
      return "reference: required, a non-empty string";
  }
  if (root->has("technicalReference") && !root->isNull("technicalReference") &&
      !stringField(*root, "technicalReference", out.technicalReference, true))
    return "technicalReference: expected a string";
  if (root->has("deliveryInformation") && !root->isNull("deliveryInformation") &&
      !root->getObject("deliveryInformation"))
    return "deliveryInformation: expected an object";

  Object::Ptr orderData = root->has("orderData") ? root->getObject("orderData") : nullptr;
  if (!orderData) return "orderData: required, an object";

  // Products first as a list of codes; the municipality check follows the order kind.
  Array::Ptr products = root->has("products") ? root->getArray("products") : nullptr;
  if (!products || products->size() == 0)
    return "products: required, a non-empty array of {\"code\": ...}";
  for (std::size_t i = 0; i < products->size(); ++i) {
    const std::string path = "products[" + std::to_string(i) + "]";
    Object::Ptr entry = products->getObject(static_cast<unsigned>(i));
    std::string code;
    if (!entry || !stringField(*entry, "code", code, false) || code.empty())
      return path + ".code: required, a product code string";
    if (entry->has("data") && !entry->isNull("data") && !entry->getObject("data"))
      return path + ".data: expected an object";
    const Product* product = catalogue_.find(code);
    if (!product) return path + ".code: unknown product " + inQuotes(code);
    out.products.push_back(product);
  }

  if (kind == "cadastre") {
    std::string cadastre;
    if (!stringField(*orderData, "cadastre", cadastre, false))
      return "orderData.cadastre: required, a string knr-gnr-bnr-fnr-snr";
    static const std::regex kCadastre(R"((\d{4})-(\d{1,5})-(\d{1,5})-(\d{1,5})-(\d{1,5}))");
    std::smatch match;
    if (!std::regex_match(cadastre, match, kCadastre))
      return "orderData.cadastre: expected knr-gnr-bnr-fnr-snr, got " + inQuotes(cadastre);
    out.municipality = match[1];
    if (!catalogue_.hasMunicipality(out.municipality))
      return "orderData.cadastre: municipality " + out.municipality +
             " has no products in the sandbox (known: 9999, 5401)";
    if (orderData->has("address")) {
      std::string address;
      static const std::regex kAddress(R"([^,]*\S[^,]*, \d{4} \S.*)");
      if (!stringField(*orderData, "address", address, false) ||
          !std::regex_match(address, kAddress))
        return "orderData.address: expected 'street, NNNN place', got " +
               inQuotes(orderData->get("address").toString());
    }
    out.subject = cadastre;
  } else if (kind == "share") {
    std::string organization;
    std::string share;
    if (!stringField(*orderData, "organizationNumber", organization, true))
      return "orderData.organizationNumber: required, 9 digits";
    static const std::regex kOrganization(R"(\d{9})");
    if (!std::regex_match(organization, kOrganization))
      return "orderData.organizationNumber: expected 9 digits, got " + inQuotes(organization);
    if (!stringField(*orderData, "shareNumber", share, true) || share.empty())
      return "orderData.shareNumber: required, a string or number";
    // A housing cooperative is not tied to a cadastre: the products decide the municipality.
    out.municipality = out.products.front()->municipality;
    out.subject = organization + "-" + share;
  } else if (kind == "map") {
    if (auto error = validatePolygon(*orderData); !error.empty()) return error;
    std::string srs;
    if (!stringField(*orderData, "spatialReference", srs, true) ||
        (srs != "25832" && srs != "25833"))
      return "orderData.spatialReference: expected \"25832\" or \"25833\", got " +
             (orderData->has("spatialReference")
                  ? inQuotes(orderData->get("spatialReference").toString())
                  : std::string("nothing"));
    if (orderData->has("municipality")) {
      std::string knr;
      static const std::regex kKnr(R"(\d{4})");
      if (!stringField(*orderData, "municipality", knr, false) || !std::regex_match(knr, kKnr))
        return "orderData.municipality: expected 4 digits, got " +
               inQuotes(orderData->get("municipality").toString());
      out.municipality = knr;
    } else {
      out.municipality = out.products.front()->municipality;
    }
    out.subject = "kartutsnitt";
  } else {
    return "order kind: expected cadastre, share or map, got " + inQuotes(kind);
  }

  for (std::size_t i = 0; i < out.products.size(); ++i) {
    const Product* product = out.products[i];
    const std::string path = "products[" + std::to_string(i) + "].code";
    if (product->municipality != out.municipality)
      return path + ": " + inQuotes(product->code) + " is not a product of municipality " +
             out.municipality;
    std::string needed = product->inputType == "CADASTRE" ? "cadastre"
                         : product->inputType == "SHARE"  ? "share"
                                                          : "map";
    if (needed != kind)
      return path + ": " + inQuotes(product->code) + " needs a " + needed + " order, not " + kind;
  }
  return {};
}

}  // namespace sandbox
