#include "api/ModelParser.h"

#include <Poco/Exception.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include "api/JsonReader.h"
#include "api/OrderReader.h"

namespace ambita::api {
namespace {

using J = JsonReader;

dms::Error invalid(const std::string& message) {
  return dms::fail(dms::ErrorCode::InvalidArgument, message);
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

/// A token goes into a header of every call and is kept (masked in messages) after it is
/// replaced: one the size of a whole answer (32 MiB) would be sent, and kept, as is.
void requireTokenSize(const std::string& token, const std::string& key) {
  if (token.size() > ModelParser::kMaxTokenBytes)
    J::fail(key, "longer than " + std::to_string(ModelParser::kMaxTokenBytes) + " bytes");
}

/// One line for a log or an error message: control characters (a server's "\n" included)
/// become spaces, so an answer cannot start a forged log line.
std::string oneLine(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return text;
}

/// Runs Poco's parser over `text`, feeding `handler`: the one place that says what malformed
/// JSON is, for the tree and for the streaming order reader alike.
dms::Status parseWith(const std::string& text, const Poco::JSON::Handler::Ptr& handler) {
  try {
    Poco::JSON::Parser parser(handler);
    parser.parse(text);
    return {};
  } catch (const Poco::Exception& e) {
    return invalid("malformed JSON: " + e.message());
  } catch (const std::exception& e) {
    return invalid(std::string("malformed JSON: ") + e.what());
  }
}

}  // namespace

dms::Result<Poco::Dynamic::Var> ModelParser::parseJson(const std::string& text) {
  Poco::SharedPtr<Poco::JSON::ParseHandler> tree(new Poco::JSON::ParseHandler);
  if (auto malformed = parseWith(text, tree); !malformed) return malformed.error();
  return tree->asVar();
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

namespace {

/// The reader's outcome as the parser's answer ("order: <path>: <problem>").
dms::Result<OrderCollection> orderFrom(OrderReader& reader) {
  if (!reader.ok()) return invalid("order: " + reader.failure());
  return reader.takeOrder();
}

}  // namespace

dms::Result<OrderCollection> ModelParser::orderCollection(const Poco::Dynamic::Var& json) {
  const JsonReader::Value top = JsonReader::valueOf(json);
  if (top.kind != JsonReader::Value::Kind::Object && top.kind != JsonReader::Value::Kind::Array) {
    // Only a caller's own Var gets here: parseJson calls a bare scalar malformed.
    try {
      JsonReader::requireObject(top, "");
    } catch (const JsonReader::Failure& f) {
      return invalid(std::string("order: ") + f.what());
    }
  }
  OrderReader reader;
  OrderReader::replay(json, reader);
  return orderFrom(reader);
}

ModelParser::TextAnswer<OrderCollection> ModelParser::orderCollectionFromText(
    const std::string& text) {
  Poco::SharedPtr<OrderReader> reader(new OrderReader);
  if (auto malformed = parseWith(text, reader); !malformed) return {true, malformed.error()};
  return {false, orderFrom(*reader)};
}

dms::Result<TokenResponse> ModelParser::token(const Poco::Dynamic::Var& json) {
  try {
    auto o = J::object(json, "");
    TokenResponse t;
    t.accessToken = J::requiredString(*o, "access_token", "");
    if (t.accessToken.empty()) J::fail("access_token", "must not be empty");
    requireTokenSize(t.accessToken, "access_token");
    t.tokenType = J::optString(*o, "token_type", "").value_or("Bearer");
    if (Poco::icompare(t.tokenType, "bearer") != 0)
      J::fail("token_type", "expected \"Bearer\", got '" + t.tokenType + "'");
    if (auto s = J::optInteger(*o, "expires_in", "")) {
      if (*s <= 0) J::fail("expires_in", "must be positive");
      t.expiresIn = std::chrono::seconds(*s);
    }
    t.refreshToken = J::optString(*o, "refresh_token", "").value_or("");
    requireTokenSize(t.refreshToken, "refresh_token");
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
