#include "api/ModelParser.h"

#include <Poco/Exception.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include "api/JsonReader.h"

namespace ambita::api {
namespace {

using J = JsonReader;

dms::Error invalid(const std::string& message) {
  return dms::fail(dms::ErrorCode::InvalidArgument, message);
}

/// Older payloads code the product type "0"/"1"; newer ones say NORMAL/PACKAGE.
std::string productType(const CodeName& c) {
  if (c.code == "0") return "NORMAL";
  if (c.code == "1") return "PACKAGE";
  return c.code;
}

Asset parseAsset(const Poco::Dynamic::Var& v, const std::string& path) {
  auto o = J::object(v, path);
  Asset a;
  a.id = J::requiredString(*o, "id", path);
  if (a.id.empty()) J::fail(J::join(path, "id"), "must not be empty");
  a.name = J::optString(*o, "name", path).value_or("");
  a.filename = J::optString(*o, "filename", path).value_or("");
  a.downloadUrl = J::optString(*o, "downloadUrl", path).value_or("");
  // Some pages call it "status"; assetStatus wins when both are present.
  a.status = J::codeName(*o, o->has("assetStatus") ? "assetStatus" : "status", path).code;
  a.productCategory = J::codeName(*o, "productCategory", path).code;
  return a;
}

std::vector<Asset> parseAssets(const Poco::JSON::Object& o, const std::string& path) {
  std::vector<Asset> out;
  if (auto arr = J::optArray(o, "assets", path)) {
    const std::string base = J::join(path, "assets");
    for (std::size_t i = 0; i < arr->size(); ++i)
      out.push_back(parseAsset(arr->get(static_cast<unsigned>(i)), J::index(base, i)));
  }
  return out;
}

OrderLine parseLine(const Poco::Dynamic::Var& v, const std::string& path) {
  auto o = J::object(v, path);
  OrderLine l;
  l.id = J::requiredInteger(*o, "id", path);
  l.status = J::codeName(*o, "status", path).code;
  // The product may be a code string or an object {code, name}.
  const CodeName product = J::codeName(*o, "product", path);
  l.product = product.code;
  l.productName = J::optString(*o, "productName", path).value_or(product.name);
  l.productType = productType(J::codeName(*o, "productType", path));
  l.mediaType = J::codeName(*o, "mediaType", path).code;
  const CodeName delivery = J::codeName(*o, "delivery", path);
  l.delivery = delivery.name.empty() ? delivery.code : delivery.name;
  l.priceNet = J::optNumber(*o, "priceNet", path);
  l.priceVat = J::optNumber(*o, "priceVat", path);
  l.dateStatus = J::optString(*o, "dateStatus", path).value_or("");
  l.packageLineId = J::optInteger(*o, "packageLineId", path);
  l.assets = parseAssets(*o, path);
  return l;
}

SupplierOrder parseSupplierOrder(const Poco::Dynamic::Var& v, const std::string& path) {
  auto o = J::object(v, path);
  SupplierOrder s;
  s.id = J::requiredInteger(*o, "id", path);
  s.supplierName = J::optString(*o, "supplierName", path).value_or("");
  s.user = J::optString(*o, "user", path).value_or("");
  s.technicalReference = J::optString(*o, "technicalReference", path).value_or("");
  s.assets = parseAssets(*o, path);
  if (auto lines = J::optArray(*o, "orderLines", path)) {
    const std::string base = J::join(path, "orderLines");
    for (std::size_t i = 0; i < lines->size(); ++i)
      s.orderLines.push_back(parseLine(lines->get(static_cast<unsigned>(i)), J::index(base, i)));
  }
  return s;
}

Product parseProduct(const Poco::Dynamic::Var& v, const std::string& path) {
  auto o = J::object(v, path);
  Product p;
  p.code = J::requiredString(*o, "code", path);
  if (p.code.empty()) J::fail(J::join(path, "code"), "must not be empty");
  p.name = J::optString(*o, "name", path).value_or("");
  p.description = J::optString(*o, "description", path).value_or("");
  p.delivery = J::codeName(*o, "delivery", path);
  p.inputType = J::codeName(*o, "inputType", path);
  p.status = J::codeName(*o, "status", path);
  p.type = J::codeName(*o, "type", path);
  if (o->has("price") && !o->isNull("price")) {
    const std::string pricePath = J::join(path, "price");
    auto price = J::object(o->get("price"), pricePath);
    p.salesPriceNet = J::optNumber(*price, "salesPriceNet", pricePath);
    p.salesPriceVat = J::optNumber(*price, "salesPriceVat", pricePath);
  }
  if (auto children = J::optArray(*o, "children", path)) {
    const std::string base = J::join(path, "children");
    for (std::size_t i = 0; i < children->size(); ++i) {
      const std::string cp = J::index(base, i);
      const Poco::Dynamic::Var c = children->get(static_cast<unsigned>(i));
      if (c.isString()) {
        p.children.push_back(CodeName{c.extract<std::string>(), ""});
        continue;
      }
      auto co = J::object(c, cp);
      p.children.push_back(CodeName{J::optString(*co, "code", cp).value_or(""),
                                    J::optString(*co, "name", cp).value_or("")});
    }
  }
  return p;
}

/// One line for a log or an error message: control characters (a server's "\n" included)
/// become spaces, so an answer cannot start a forged log line.
std::string oneLine(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return text;
}

}  // namespace

dms::Result<Poco::Dynamic::Var> ModelParser::parseJson(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text);
  } catch (const Poco::Exception& e) {
    return invalid("malformed JSON: " + e.message());
  } catch (const std::exception& e) {
    return invalid(std::string("malformed JSON: ") + e.what());
  }
}

dms::Result<std::vector<Product>> ModelParser::products(const Poco::Dynamic::Var& json) {
  try {
    std::vector<Product> out;
    // Tolerate an envelope {"products": [...]} as well as the documented bare array.
    Poco::Dynamic::Var list = json;
    if (json.type() == typeid(Poco::JSON::Object::Ptr)) {
      auto o = json.extract<Poco::JSON::Object::Ptr>();
      if (o->has("products")) list = o->get("products");
    }
    auto arr = J::array(list, "");
    for (std::size_t i = 0; i < arr->size(); ++i)
      out.push_back(parseProduct(arr->get(static_cast<unsigned>(i)), J::index("", i)));
    return out;
  } catch (const J::Failure& f) {
    return invalid(std::string("products: ") + f.what());
  } catch (const Poco::Exception& e) {
    return invalid("products: " + e.displayText());
  }
}

dms::Result<OrderCollection> ModelParser::orderCollection(const Poco::Dynamic::Var& json) {
  try {
    auto o = J::object(json, "");
    OrderCollection c;
    c.id = J::requiredInteger(*o, "id", "");
    c.status = J::codeName(*o, "status", "").code;
    c.reference = J::optString(*o, "reference", "").value_or("");
    c.technicalReference = J::optString(*o, "technicalReference", "").value_or("");
    c.priceNet = J::optNumber(*o, "priceNet", "");
    c.priceVat = J::optNumber(*o, "priceVat", "");
    c.dateOrdered = J::optString(*o, "dateOrdered", "").value_or("");
    c.dateStatus = J::optString(*o, "dateStatus", "").value_or("");
    if (auto orders = J::optArray(*o, "orders", "")) {
      for (std::size_t i = 0; i < orders->size(); ++i)
        c.orders.push_back(
            parseSupplierOrder(orders->get(static_cast<unsigned>(i)), J::index("orders", i)));
    }
    return c;
  } catch (const J::Failure& f) {
    return invalid(std::string("order: ") + f.what());
  } catch (const Poco::Exception& e) {
    return invalid("order: " + e.displayText());
  }
}

dms::Result<TokenResponse> ModelParser::token(const Poco::Dynamic::Var& json) {
  try {
    auto o = J::object(json, "");
    TokenResponse t;
    t.accessToken = J::requiredString(*o, "access_token", "");
    if (t.accessToken.empty()) J::fail("access_token", "must not be empty");
    t.tokenType = J::optString(*o, "token_type", "").value_or("Bearer");
    if (Poco::icompare(t.tokenType, "bearer") != 0)
      J::fail("token_type", "expected \"Bearer\", got '" + t.tokenType + "'");
    if (auto s = J::optInteger(*o, "expires_in", "")) {
      if (*s <= 0) J::fail("expires_in", "must be positive");
      t.expiresIn = std::chrono::seconds(*s);
    }
    t.refreshToken = J::optString(*o, "refresh_token", "").value_or("");
    if (o->has("scope") && !o->isNull("scope")) {
      const Poco::Dynamic::Var s = o->get("scope");
      if (s.isString()) {
        // OAuth2 proper uses a space-separated string; Ambita documents an array.
        std::string all = s.extract<std::string>();
        std::size_t pos = 0;
        while (pos < all.size()) {
          std::size_t end = all.find(' ', pos);
          if (end == std::string::npos) end = all.size();
          if (end > pos) t.scope.push_back(all.substr(pos, end - pos));
          pos = end + 1;
        }
      } else {
        auto arr = J::array(s, "scope");
        for (std::size_t i = 0; i < arr->size(); ++i)
          t.scope.push_back(arr->get(static_cast<unsigned>(i)).toString());
      }
    }
    return t;
  } catch (const J::Failure& f) {
    // The message names a field, never a value: token bodies are secret.
    return invalid(std::string("token answer: ") + f.what());
  } catch (const Poco::Exception& e) {
    return invalid(std::string("token answer: unreadable (") + e.className() + ")");
  }
}

std::string ModelParser::errorSummary(const std::string& body) {
  auto parsed = parseJson(body);
  if (parsed && parsed->type() == typeid(Poco::JSON::Object::Ptr)) {
    auto o = parsed->extract<Poco::JSON::Object::Ptr>();
    std::string out;
    auto field = [&](const char* key) -> std::string {
      if (!o->has(key) || o->isNull(key)) return "";
      const Poco::Dynamic::Var v = o->get(key);
      return v.isString() || v.isNumeric() ? v.toString() : "";
    };
    const std::string error = field("error"), description = field("error_description"),
                      message = field("message");
    if (!error.empty()) out = error;
    if (!description.empty()) out += std::string(out.empty() ? "" : ": ") + description;
    if (!message.empty()) out += std::string(out.empty() ? "" : ": ") + message;
    if (!out.empty()) return oneLine(out.substr(0, 300));
  }
  return oneLine(body.substr(0, 200));
}

}  // namespace ambita::api
