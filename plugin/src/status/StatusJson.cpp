#include "status/StatusJson.h"

#include <Poco/Dynamic/Var.h>

#include "commands/Money.h"
#include "filing/StateStore.h"

namespace ambita::status::json {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

/// The contract's absent value: "" is written as null.
Poco::Dynamic::Var textOrNull(const std::string& text) {
  if (text.empty()) return Poco::Dynamic::Var();
  return text;
}

template <class Item, class ToJson>
Array::Ptr arrayOf(const std::vector<Item>& items, ToJson toJson) {
  Array::Ptr out = new Array;
  for (const auto& item : items) out->add(toJson(item));
  return out;
}

const char* findingKind(filing::VerifyReport::Kind kind) {
  switch (kind) {
    case filing::VerifyReport::Kind::Missing:
      return "missing";
    case filing::VerifyReport::Kind::Changed:
      return "changed";
    case filing::VerifyReport::Kind::Orphaned:
      return "orphaned";
  }
  return "changed";
}

/// The preview's action in the words of the contract ("already filed": nothing to do).
std::string previewAction(const std::string& action) {
  return action == "already filed" ? "none" : action;
}

std::string metadataValue(const dms::Metadata& metadata, const std::string& key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : it->second;
}

}  // namespace

Object::Ptr order(const filing::OrderSummary& s) {
  Object::Ptr o = new Object;
  o->set("orderId", s.order.id);
  o->set("reference", textOrNull(s.order.reference));
  o->set("status", textOrNull(s.order.status));
  o->set("origin", filing::toString(s.order.origin));
  o->set("filed", s.filed);
  o->set("removed", s.removed);
  o->set("failed", s.failed);
  o->set("pending", s.pending);
  o->set("lastChecked", textOrNull(s.order.checkedAt));
  o->set("tracked", textOrNull(s.order.trackedAt));
  o->set("finished", textOrNull(s.order.finishedAt));
  return o;
}

Object::Ptr asset(const filing::AssetRecord& a) {
  Object::Ptr o = new Object;
  o->set("assetId", a.assetId);
  o->set("name", StatusQuery::name(a));
  o->set("category", textOrNull(a.category));
  o->set("state", StatusQuery::stateWord(a.state));
  o->set("path", textOrNull(a.path));
  o->set("size",
         a.state == filing::AssetState::Filed ? Poco::Dynamic::Var(a.size) : Poco::Dynamic::Var());
  o->set("lastError", textOrNull(a.lastError));
  o->set("movedTo", textOrNull(a.targetPath));
  o->set("sha256", textOrNull(a.sha256));
  o->set("filedAt", textOrNull(a.filedAt));
  o->set("attempts", a.attempts);
  return o;
}

Object::Ptr auditEntry(const filing::AuditEntry& e) {
  Object::Ptr o = new Object;
  o->set("time", e.time);
  o->set("orderId", e.orderId);
  o->set("assetId", textOrNull(e.assetId));
  o->set("action", e.action);
  o->set("reason", e.reason);
  o->set("path", textOrNull(e.path));
  o->set("detail", e.detail);
  o->set("actor", textOrNull(e.actor));
  return o;
}

Object::Ptr orderPage(const filing::OrderPage& page, std::size_t pageNumber, std::size_t perPage) {
  Object::Ptr o = new Object;
  o->set("total", page.total);
  o->set("page", pageNumber);
  o->set("perPage", perPage);
  o->set("orders", arrayOf(page.orders, order));
  return o;
}

Poco::Dynamic::Var targetLeftovers(const std::optional<filing::TargetLeftovers>& leftovers) {
  if (!leftovers) return {};
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("at", leftovers->at);
  o->set("target", leftovers->target);
  o->set("message", leftovers->message);
  return o;
}

void setAmounts(Object& o, const filing::CostTotals& amount) {
  o.set("netOre", amount.netOre);
  o.set("vatOre", amount.vatOre());
  o.set("grossOre", amount.grossOre);
  o.set("net", commands::formatNok(amount.netOre));
  o.set("vat", commands::formatNok(amount.vatOre()));
  o.set("gross", commands::formatNok(amount.grossOre));
}

Object::Ptr orderDetail(const OrderDetail& d) {
  Object::Ptr o = new Object;
  o->set("order", order(d.summary));
  o->set("assets", arrayOf(d.assets, asset));
  o->set("audit", arrayOf(d.audit, auditEntry));
  if (d.cost) {
    Object::Ptr cost = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    setAmounts(*cost, d.cost->totals);
    cost->set("credited", d.cost->credited);
    o->set("cost", cost);
  } else {
    o->set("cost", Poco::Dynamic::Var());
  }
  return o;
}

Object::Ptr failures(const Failures& f) {
  Object::Ptr o = new Object;
  o->set("failures", arrayOf(f.assets, [](const AssetFailure& a) {
           Object::Ptr item = new Object;
           item->set("orderId", a.orderId);
           item->set("assetId", a.assetId);
           item->set("name", a.name);
           item->set("error", a.error);
           item->set("since", Poco::Dynamic::Var());  // the state keeps no failure time per asset
           return item;
         }));
  o->set("waitingOrders", arrayOf(f.waitingOrders, [](const WaitingOrder& w) {
           Object::Ptr item = new Object;
           item->set("orderId", w.orderId);
           item->set("source", w.source);
           item->set("attempts", w.attempts);
           item->set("since", textOrNull(w.since));
           item->set("nextTry", w.nextTry);
           item->set("error", w.error);
           return item;
         }));
  return o;
}

Object::Ptr audit(const std::vector<filing::AuditEntry>& entries) {
  Object::Ptr o = new Object;
  o->set("audit", arrayOf(entries, auditEntry));
  return o;
}

Object::Ptr preview(std::int64_t orderId, const std::vector<filing::PreviewEntry>& entries) {
  Object::Ptr o = new Object;
  o->set("orderId", orderId);
  o->set("assets", arrayOf(entries, [](const filing::PreviewEntry& e) {
           Object::Ptr item = new Object;
           item->set("assetId", e.assetId);
           item->set("name", textOrNull(e.path.substr(e.path.rfind('/') + 1)));
           item->set("category", textOrNull(metadataValue(e.metadata, "ambita.category")));
           item->set("action", previewAction(e.action));
           item->set("path", textOrNull(e.path));
           item->set("assetStatus", e.assetStatus);
           Object::Ptr metadata = new Object;
           for (const auto& [key, value] : e.metadata) metadata->set(key, value);
           item->set("metadata", metadata);
           return item;
         }));
  return o;
}

Object::Ptr verify(const filing::VerifyReport& r) {
  Object::Ptr o = new Object;
  o->set("ok", r.ok);
  o->set("missing", r.missing);
  o->set("changed", r.changed);
  o->set("orphaned", r.orphaned);
  o->set("filedAgain", r.filedAgain);
  o->set("repaired", r.repaired);
  o->set("clean", r.clean());
  o->set("findings", arrayOf(r.findings, [](const filing::VerifyReport::Finding& f) {
           Object::Ptr item = new Object;
           item->set("kind", findingKind(f.kind));
           item->set("path", f.path);
           item->set("detail", f.detail);
           return item;
         }));
  Array::Ptr errors = new Array;
  for (const auto& e : r.errors) errors->add(e);
  o->set("errors", errors);
  return o;
}

Object::Ptr error(const std::string& message) {
  Object::Ptr o = new Object;
  o->set("error", message);
  return o;
}

void print(std::ostream& out, const Poco::JSON::Object::Ptr& document) {
  document->stringify(out);
  out << "\n";
}

}  // namespace ambita::status::json
