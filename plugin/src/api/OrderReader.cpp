#include "api/OrderReader.h"

#include <span>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>

namespace ambita::api {
namespace {

using J = JsonReader;
using Kind = JsonReader::Value::Kind;
using Entity = OrderReader::Entity;

/// How a field is read: a scalar, a code ("X" or {"code", "name"}), or a list of `element`.
enum class Shape { Scalar, Code, List };
struct Key {
  std::string_view name;
  Shape shape = Shape::Scalar;
  Entity element = Entity::Asset;
};

// Each object's fields; the enums index the tables below (same order).
enum CollectionField {
  kCId,
  kCStatus,
  kCReference,
  kCTechnicalReference,
  kCPriceNet,
  kCPriceVat,
  kCDateOrdered,
  kCDateStatus,
  kCOrders
};
constexpr std::array kCollectionKeys{Key{"id"},
                                     Key{"status", Shape::Code},
                                     Key{"reference"},
                                     Key{"technicalReference"},
                                     Key{"priceNet"},
                                     Key{"priceVat"},
                                     Key{"dateOrdered"},
                                     Key{"dateStatus"},
                                     Key{"orders", Shape::List, Entity::Supplier}};

enum SupplierField { kSId, kSSupplierName, kSUser, kSTechnicalReference, kSAssets, kSOrderLines };
constexpr std::array kSupplierKeys{Key{"id"},
                                   Key{"supplierName"},
                                   Key{"user"},
                                   Key{"technicalReference"},
                                   Key{"assets", Shape::List, Entity::Asset},
                                   Key{"orderLines", Shape::List, Entity::Line}};

enum LineField {
  kLId,
  kLStatus,
  kLProduct,
  kLProductName,
  kLProductType,
  kLMediaType,
  kLDelivery,
  kLPriceNet,
  kLPriceVat,
  kLDateStatus,
  kLPackageLineId,
  kLAssets
};
constexpr std::array kLineKeys{Key{"id"},
                               Key{"status", Shape::Code},
                               Key{"product", Shape::Code},
                               Key{"productName"},
                               Key{"productType", Shape::Code},
                               Key{"mediaType", Shape::Code},
                               Key{"delivery", Shape::Code},
                               Key{"priceNet"},
                               Key{"priceVat"},
                               Key{"dateStatus"},
                               Key{"packageLineId"},
                               Key{"assets", Shape::List, Entity::Asset}};

enum AssetField {
  kAId,
  kAName,
  kAFilename,
  kADownloadUrl,
  kAAssetStatus,
  kAStatus,
  kAProductCategory
};
constexpr std::array kAssetKeys{Key{"id"},
                                Key{"name"},
                                Key{"filename"},
                                Key{"downloadUrl"},
                                Key{"assetStatus", Shape::Code},
                                Key{"status", Shape::Code},
                                Key{"productCategory", Shape::Code}};

std::span<const Key> keysOf(Entity e) {
  switch (e) {
    case Entity::Collection:
      return kCollectionKeys;
    case Entity::Supplier:
      return kSupplierKeys;
    case Entity::Line:
      return kLineKeys;
    case Entity::Asset:
      break;
  }
  return kAssetKeys;
}

int indexOf(Entity e, std::string_view name) {
  const auto keys = keysOf(e);
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i].name == name) return static_cast<int>(i);
  return -1;
}

/// Older payloads code the product type "0"/"1"; newer ones say NORMAL/PACKAGE.
std::string productType(CodeName type) {
  if (type.code == "0") return "NORMAL";
  if (type.code == "1") return "PACKAGE";
  return std::move(type.code);
}

J::Value scalar(Kind kind) {
  J::Value v;
  v.kind = kind;
  return v;
}

}  // namespace

OrderReader::OrderReader() {
  frames_.reserve(16);
}

void OrderReader::reset() {
  frames_.clear();
  order_.reset();
  failure_.reset();
  entries_ = 0;
}

bool OrderReader::ok() const {
  return entries_ <= kMaxEntries && !failure_ && order_;
}

std::string OrderReader::failure() const {
  if (entries_ > kMaxEntries)
    return "orders: more than " + std::to_string(kMaxEntries) +
           " supplier orders, order lines and assets in one order; not read (Ambita's orders "
           "hold tens)";
  return failure_.value_or("(top level): no value");
}

std::string OrderReader::pathHere() const {
  std::string path;
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    const Frame& f = frames_[i];
    if (f.kind != Frame::Kind::List || i == 0) continue;
    const Frame& owner = frames_[i - 1];
    path = J::index(J::join(path, keysOf(owner.entity)[static_cast<std::size_t>(f.listField)].name),
                    f.count - 1);
  }
  return path;
}

void OrderReader::note(const std::string& failure) {
  if (frames_.empty()) {
    if (!failure_) failure_ = failure;
    return;
  }
  // Only a list's elements fail on their own; the list's owner reports it in its turn.
  const Frame& list = frames_.back();
  Field& field =
      fieldsOf(frames_[frames_.size() - 2].entity)[static_cast<std::size_t>(list.listField)];
  if (!field.failure) field.failure = failure;
}

void OrderReader::elementFailed(Kind kind) {
  try {
    J::requireObject(scalar(kind), pathHere());
  } catch (const J::Failure& f) {
    note(f.what());
  }
}

void OrderReader::restartList(Entity owner, int field) {
  Field& f = fieldsOf(owner)[static_cast<std::size_t>(field)];
  f.failure.reset();
  switch (owner) {
    case Entity::Collection:
      orders_.clear();
      break;
    case Entity::Supplier:
      if (field == kSAssets)
        supplierAssets_.clear();
      else
        lines_.clear();
      break;
    case Entity::Line:
      lineAssets_.clear();
      break;
    case Entity::Asset:
      break;
  }
}

void OrderReader::startEntity(Entity e) {
  for (Field& f : fieldsOf(e)) {
    f.value = {};
    f.failure.reset();
  }
  if (e == Entity::Supplier) {
    supplierAssets_.clear();
    lines_.clear();
  } else if (e == Entity::Line) {
    lineAssets_.clear();
  }
  frames_.push_back(Frame{Frame::Kind::Object, e});
}

J::Value* OrderReader::scalarSlot(Kind kind) {
  if (frames_.empty()) {
    // Poco's tree builder (ParseHandler) refuses a bare scalar as the whole document, so
    // parseJson calls it malformed JSON; this reader says the same, in the same words.
    throw Poco::JSON::JSONException("Attempt to set value on an empty stack");
  }
  Frame& top = frames_.back();
  switch (top.kind) {
    case Frame::Kind::Object: {
      if (top.key < 0) return nullptr;
      if (keysOf(top.entity)[static_cast<std::size_t>(top.key)].shape == Shape::List)
        restartList(top.entity, top.key);
      J::Value& slot = fieldsOf(top.entity)[static_cast<std::size_t>(top.key)].value;
      slot.kind = kind;
      return &slot;
    }
    case Frame::Kind::Code: {
      if (top.key < 0) return nullptr;
      Field& owner =
          fieldsOf(frames_[frames_.size() - 2]
                       .entity)[static_cast<std::size_t>(frames_[frames_.size() - 2].key)];
      J::Value& slot = top.key == 0 ? owner.code : owner.name;
      slot.kind = kind;
      return &slot;
    }
    case Frame::Kind::List:
      ++top.count;
      elementFailed(kind);
      return nullptr;
    case Frame::Kind::Skip:
      break;
  }
  return nullptr;
}

void OrderReader::startContainer(Kind kind) {
  const bool isObject = kind == Kind::Object;
  if (frames_.empty()) {
    if (isObject) return startEntity(Entity::Collection);
    elementFailed(kind);  // the top level's path is ""
    frames_.push_back(Frame{});
    return;
  }
  Frame top = frames_.back();
  if (top.kind == Frame::Kind::List) {
    frames_.back().count++;
    if (isObject) return startEntity(top.entity);
    elementFailed(kind);
  } else if (top.kind == Frame::Kind::Object && top.key >= 0) {
    const Key& key = keysOf(top.entity)[static_cast<std::size_t>(top.key)];
    scalarSlot(kind);  // the field's kind, so a wrong one is named
    if (key.shape == Shape::Code && isObject) {
      Field& f = fieldsOf(top.entity)[static_cast<std::size_t>(top.key)];
      f.code = {};
      f.name = {};
      frames_.push_back(Frame{Frame::Kind::Code});
      return;
    }
    if (key.shape == Shape::List && !isObject) {
      frames_.push_back(Frame{Frame::Kind::List, key.element, -1, top.key});
      return;
    }
  } else if (top.kind == Frame::Kind::Code) {
    scalarSlot(kind);
  }
  frames_.push_back(Frame{});
}

void OrderReader::startObject() {
  startContainer(Kind::Object);
}

void OrderReader::startArray() {
  startContainer(Kind::Array);
}

void OrderReader::endObject() {
  const Frame done = frames_.back();
  frames_.pop_back();
  if (done.kind == Frame::Kind::Object) finish(done.entity);
}

void OrderReader::endArray() {
  frames_.pop_back();
}

void OrderReader::key(const std::string& k) {
  Frame& top = frames_.back();
  if (top.kind == Frame::Kind::Object)
    top.key = indexOf(top.entity, k);
  else if (top.kind == Frame::Kind::Code)
    top.key = k == "code" ? 0 : k == "name" ? 1 : -1;
}

void OrderReader::null() {
  scalarSlot(Kind::Null);
}

void OrderReader::value(bool) {
  scalarSlot(Kind::Boolean);
}

void OrderReader::value(int v) {
  value(static_cast<Poco::Int64>(v));
}

void OrderReader::value(unsigned v) {
  value(static_cast<Poco::UInt64>(v));
}

void OrderReader::value(Poco::Int64 v) {
  if (J::Value* slot = scalarSlot(Kind::Integer)) slot->integer = v;
}

void OrderReader::value(Poco::UInt64 v) {
  if (J::Value* slot = scalarSlot(Kind::Unsigned)) slot->unsignedInteger = v;
}

void OrderReader::value(double d) {
  if (J::Value* slot = scalarSlot(Kind::Double)) slot->real = d;
}

void OrderReader::value(const std::string& v) {
  if (J::Value* slot = scalarSlot(Kind::String)) slot->text = v;
}

void OrderReader::finish(Entity e) {
  // Beyond the bound nothing more is kept: the answer is refused whole (ok()).
  if (e != Entity::Collection && ++entries_ > kMaxEntries) return;
  try {
    switch (e) {
      case Entity::Asset: {
        Asset a = buildAsset();
        const Entity owner = frames_[frames_.size() - 2].entity;
        (owner == Entity::Line ? lineAssets_ : supplierAssets_).push_back(std::move(a));
        break;
      }
      case Entity::Line:
        lines_.push_back(buildLine());
        break;
      case Entity::Supplier:
        orders_.push_back(buildSupplier());
        break;
      case Entity::Collection:
        order_ = buildCollection();
        break;
    }
  } catch (const J::Failure& f) {
    note(f.what());
  }
}

void OrderReader::checkList(Entity e, int field, const J::Path& at, std::string_view key) {
  const Field& f = fieldsOf(e)[static_cast<std::size_t>(field)];
  J::requireArrayOrMissing(f.value, at, key);
  if (f.value.kind == Kind::Array && f.failure) throw J::Failure(*f.failure);
}

namespace {

/// The rules' reading of a code field.
CodeName code(auto& field, const J::Path& at, std::string_view key) {
  return J::codeName(std::move(field.value), std::move(field.code), std::move(field.name), at, key);
}

/// The rules' reading of a text field; "" when absent.
std::string text(auto& field, const J::Path& at, std::string_view key) {
  return J::optString(std::move(field.value), at, key).value_or("");
}

}  // namespace

Asset OrderReader::buildAsset() {
  auto& f = fieldsOf(Entity::Asset);
  const J::Path at = [this] { return pathHere(); };
  Asset a;
  a.id = J::requiredString(std::move(f[kAId].value), at, "id");
  if (a.id.empty()) J::fail(J::join(at(), "id"), "must not be empty");
  a.name = text(f[kAName], at, "name");
  a.filename = text(f[kAFilename], at, "filename");
  a.downloadUrl = text(f[kADownloadUrl], at, "downloadUrl");
  // Some pages call it "status"; assetStatus wins when both are present (even as null).
  a.status = f[kAAssetStatus].value.kind != Kind::Absent
                 ? code(f[kAAssetStatus], at, "assetStatus").code
                 : code(f[kAStatus], at, "status").code;
  a.productCategory = code(f[kAProductCategory], at, "productCategory").code;
  return a;
}

OrderLine OrderReader::buildLine() {
  auto& f = fieldsOf(Entity::Line);
  const J::Path at = [this] { return pathHere(); };
  OrderLine l;
  l.id = J::requiredInteger(f[kLId].value, at, "id");
  l.status = code(f[kLStatus], at, "status").code;
  // The product may be a code string or an object {code, name}.
  CodeName product = code(f[kLProduct], at, "product");
  l.product = std::move(product.code);
  l.productName =
      J::optString(std::move(f[kLProductName].value), at, "productName").value_or(product.name);
  CodeName type = code(f[kLProductType], at, "productType");
  l.productType = productType(std::move(type));
  l.mediaType = code(f[kLMediaType], at, "mediaType").code;
  CodeName delivery = code(f[kLDelivery], at, "delivery");
  l.delivery = delivery.name.empty() ? std::move(delivery.code) : std::move(delivery.name);
  l.priceNet = J::optNumber(f[kLPriceNet].value, at, "priceNet");
  l.priceVat = J::optNumber(f[kLPriceVat].value, at, "priceVat");
  l.dateStatus = text(f[kLDateStatus], at, "dateStatus");
  l.packageLineId = J::optInteger(f[kLPackageLineId].value, at, "packageLineId");
  checkList(Entity::Line, kLAssets, at, "assets");
  l.assets = std::move(lineAssets_);
  lineAssets_.clear();
  return l;
}

SupplierOrder OrderReader::buildSupplier() {
  auto& f = fieldsOf(Entity::Supplier);
  const J::Path at = [this] { return pathHere(); };
  SupplierOrder s;
  s.id = J::requiredInteger(f[kSId].value, at, "id");
  s.supplierName = text(f[kSSupplierName], at, "supplierName");
  s.user = text(f[kSUser], at, "user");
  s.technicalReference = text(f[kSTechnicalReference], at, "technicalReference");
  checkList(Entity::Supplier, kSAssets, at, "assets");
  s.assets = std::move(supplierAssets_);
  supplierAssets_.clear();
  checkList(Entity::Supplier, kSOrderLines, at, "orderLines");
  s.orderLines = std::move(lines_);
  lines_.clear();
  return s;
}

OrderCollection OrderReader::buildCollection() {
  auto& f = fieldsOf(Entity::Collection);
  const J::Path at = [] { return std::string(); };
  OrderCollection c;
  c.id = J::requiredInteger(f[kCId].value, at, "id");
  c.status = code(f[kCStatus], at, "status").code;
  c.reference = text(f[kCReference], at, "reference");
  c.technicalReference = text(f[kCTechnicalReference], at, "technicalReference");
  c.priceNet = J::optNumber(f[kCPriceNet].value, at, "priceNet");
  c.priceVat = J::optNumber(f[kCPriceVat].value, at, "priceVat");
  c.dateOrdered = text(f[kCDateOrdered], at, "dateOrdered");
  c.dateStatus = text(f[kCDateStatus], at, "dateStatus");
  checkList(Entity::Collection, kCOrders, at, "orders");
  c.orders = std::move(orders_);
  orders_.clear();
  return c;
}

void OrderReader::replay(const Poco::Dynamic::Var& value, Poco::JSON::Handler& handler) {
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto object = value.extract<Poco::JSON::Object::Ptr>();
    handler.startObject();
    for (const auto& [k, v] : *object) {
      handler.key(k);
      replay(v, handler);
    }
    handler.endObject();
    return;
  }
  if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
    const auto array = value.extract<Poco::JSON::Array::Ptr>();
    handler.startArray();
    for (const auto& element : *array) replay(element, handler);
    handler.endArray();
    return;
  }
  const J::Value v = J::valueOf(value);
  switch (v.kind) {
    case Kind::Absent:
    case Kind::Null:
      handler.null();
      break;
    case Kind::Boolean:
      handler.value(value.convert<bool>());
      break;
    case Kind::Integer:
      handler.value(static_cast<Poco::Int64>(v.integer));
      break;
    case Kind::Unsigned:
      handler.value(static_cast<Poco::UInt64>(v.unsignedInteger));
      break;
    case Kind::Double:
      handler.value(v.real);
      break;
    case Kind::String:
      handler.value(v.text);
      break;
    case Kind::Object:
    case Kind::Array:
    case Kind::Other:
      handler.null();
      break;  // not made by Poco's parser
  }
}

}  // namespace ambita::api
