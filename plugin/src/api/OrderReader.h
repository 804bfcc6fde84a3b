#pragma once
/// Reads an order answer (GET /kode/v1/orders/{id}, the create-order answer) from
/// Poco::JSON::Parser's events straight into api::OrderCollection: no Dynamic::Var tree and no
/// copies out of one (that tree was most of a re-sync's CPU). The field rules are
/// JsonReader's. Problems are noted while the text is read and reported once each object has
/// ended, in the order the rules check its fields; so malformed JSON anywhere still wins (a
/// garbled answer is worth asking again, a wrong field is not), the last of duplicate keys
/// counts, and the message is the one a reader of the finished tree would give. Internal to
/// api/ModelParser.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Handler.h>

#include "api/JsonReader.h"
#include "api/Model.h"

namespace ambita::api {

class OrderReader : public Poco::JSON::Handler {
 public:
  OrderReader();

  /// After the parser (or replay) has delivered a whole document: the order, or the first
  /// problem as "<path>: <problem>". An answer listing more than kMaxEntries supplier orders,
  /// order lines and assets together is refused (what it would take to file is ~6 KiB an asset:
  /// 32 MiB of `{"id":"1"},` would be gigabytes).
  bool ok() const;
  OrderCollection takeOrder() { return std::move(*order_); }
  std::string failure() const;
  static constexpr std::size_t kMaxEntries = 10'000;

  /// Feeds an already parsed tree to `handler` as the parser would (objects' keys in the
  /// tree's order): the Dynamic::Var entry point reads through the same rules.
  static void replay(const Poco::Dynamic::Var& value, Poco::JSON::Handler& handler);

  void reset() override;
  void startObject() override;
  void endObject() override;
  void startArray() override;
  void endArray() override;
  void key(const std::string& k) override;
  void null() override;
  void value(int v) override;
  void value(unsigned v) override;
  void value(Poco::Int64 v) override;
  void value(Poco::UInt64 v) override;
  void value(const std::string& v) override;
  void value(double d) override;
  void value(bool b) override;

  /// The objects of an order answer; each has a fixed list of fields (OrderReader.cpp).
  enum class Entity { Collection, Supplier, Line, Asset };

 private:
  /// What the parser is inside of. Object: one of ours (key: the field the next value fills,
  /// -1 when not ours); Code: the {code, name} object of a code field (key 0 code, 1 name);
  /// List: a list field's array; Skip: anything else (unknown fields' values, wrong kinds).
  struct Frame {
    enum class Kind { Object, Code, List, Skip };
    Kind kind = Kind::Skip;
    Entity entity = Entity::Collection;  ///< Object: this one; List: its elements
    int key = -1;
    int listField = -1;     ///< List: the field of the object below that it fills
    std::size_t count = 0;  ///< List: elements started so far
  };
  /// One field's value as last seen; for a list field also the first element that failed.
  struct Field {
    JsonReader::Value value;
    JsonReader::Value code, name;  ///< an object value's "code" and "name"
    std::optional<std::string> failure;
  };
  static constexpr std::size_t kMaxFields = 12;
  using Fields = std::array<Field, kMaxFields>;

  Fields& fieldsOf(Entity e) { return fields_[static_cast<std::size_t>(e)]; }
  /// Where the next scalar goes; nullptr when it is not ours (or is a wrong kind, noted).
  JsonReader::Value* scalarSlot(JsonReader::Value::Kind kind);
  void startContainer(JsonReader::Value::Kind kind);
  void startEntity(Entity e);
  /// The list field `field` of `owner` starts again (duplicate key: the last one counts).
  void restartList(Entity owner, int field);
  /// A list element that is not an object, or an element object that failed.
  void elementFailed(JsonReader::Value::Kind kind);
  void note(const std::string& failure);
  void finish(Entity e);
  /// The JSON path of the object being read, from the lists it sits in.
  std::string pathHere() const;

  Asset buildAsset();
  OrderLine buildLine();
  SupplierOrder buildSupplier();
  OrderCollection buildCollection();
  /// The list field `field` of `e`: its kind and its first failure, as the rules check them.
  void checkList(Entity e, int field, const JsonReader::Path& at, std::string_view key);

  std::vector<Frame> frames_;
  std::array<Fields, 4> fields_;
  std::vector<SupplierOrder> orders_;
  std::vector<Asset> supplierAssets_;
  std::vector<OrderLine> lines_;
  std::vector<Asset> lineAssets_;
  std::optional<OrderCollection> order_;
  std::optional<std::string> failure_;  ///< the document's own (top level not an object)
  std::size_t entries_ = 0;             ///< supplier orders, lines and assets ended so far
};

}  // namespace ambita::api
