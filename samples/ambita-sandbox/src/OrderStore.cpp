#include "OrderStore.h"

#include <cmath>
#include <random>

#include <Poco/DateTimeFormatter.h>

namespace sandbox {
namespace {

/// CANCELLED or REFUNDED: a line (or order) that costs nothing and gets no further status.
bool isCredited(const std::string& status) {
  return status == "CANCELLED" || status == "REFUNDED";
}

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string statusName(const std::string& code) {
  if (code == "NEW") return "Ny";
  if (code == "PROGRESS") return "Under behandling";
  if (code == "FINISHED") return "Ferdig";
  if (code == "CANCELLED") return "Kansellert";
  if (code == "REFUNDED") return "Refundert";
  return code;
}

Object::Ptr codeName(const std::string& code, const std::string& name) {
  Object::Ptr object = new Object;
  object->set("code", code);
  object->set("name", name);
  return object;
}

std::string newDate(const Poco::Timestamp& t) {
  return Poco::DateTimeFormatter::format(t, "%d.%m.%Y %H:%M:%S");
}
std::string newDay(const Poco::Timestamp& t) {
  return Poco::DateTimeFormatter::format(t, "%d.%m.%Y");
}
std::string oldDate(const Poco::Timestamp& t) {
  return Poco::DateTimeFormatter::format(t, "%Y-%m-%dT%H:%M:%S+0000");
}

Object::Ptr error(const std::string& code, const std::string& message) {
  Object::Ptr body = new Object;
  body->set("error", code);
  body->set("message", message);
  return body;
}

}  // namespace

OrderStore::OrderStore(const Catalogue& catalogue, PushSender& pushes, Generation defaultGeneration,
                       std::vector<StepKind> defaultExtras, std::optional<AssetSizeRange> assetSize)
    : catalogue_(catalogue),
      pushes_(pushes),
      defaultGeneration_(defaultGeneration),
      defaultExtras_(std::move(defaultExtras)),
      assetSize_(assetSize) {}

void OrderStore::setBaseUrl(const std::string& baseUrl) {
  std::lock_guard lock(mutex_);
  baseUrl_ = baseUrl;
}

std::string OrderStore::randomId() {
  static constexpr char kHex[] = "0123456789abcdef";
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  std::string id;
  do {
    id.clear();
    for (int i = 0; i < 32; ++i) id += kHex[engine() % 16];
  } while (assetOwner_.count(id) != 0);
  return id;
}

OrderStore::Collection* OrderStore::find(std::int64_t id) {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

ActionResult OrderStore::notFound(std::int64_t id) {
  return {404, error("not_found", "order " + std::to_string(id) + " does not exist")};
}

void OrderStore::push(const Collection& order, const std::string& status) {
  Object::Ptr message = new Object;
  message->set("orderCollectionId", order.id);
  message->set("reference", order.request.reference);
  message->set("status", status);
  message->set("technicalReference", order.request.technicalReference);
  pushes_.send(message);
}

void OrderStore::setStatus(Collection& order, const std::string& status) {
  order.status = status;
  order.dateStatus.update();
  for (auto& supplierOrder : order.orders) {
    for (auto& line : supplierOrder.lines) {
      // Delivered lines stay FINISHED while the order is still in progress.
      if (status == "PROGRESS" && line.status == "FINISHED") continue;
      // A line cancelled or refunded on its own stays so while the rest of the order goes on.
      if (isCredited(line.status) && !isCredited(status)) continue;
      line.status = status;
      line.dateStatus.update();
    }
  }
}

std::int64_t OrderStore::create(const OrderRequest& request) {
  std::lock_guard lock(mutex_);
  Collection order;
  order.id = nextCollectionId_++;
  order.request = request;
  order.generation = defaultGeneration_;
  SupplierOrder supplierOrder;
  supplierOrder.id = nextSupplierOrderId_++;
  supplierOrder.municipality = request.municipality;
  std::vector<std::int64_t> fileLines;
  for (const Product* product : request.products) {
    Line line;
    line.id = nextLineId_++;
    line.product = product;
    supplierOrder.lines.push_back(line);
    if (product->children.empty()) {
      fileLines.push_back(line.id);
      continue;
    }
    const std::int64_t packageId = line.id;
    for (const auto& code : product->children) {
      Line child;
      child.id = nextLineId_++;
      child.product = catalogue_.find(code);
      child.packageLineId = packageId;
      supplierOrder.lines.push_back(child);
      fileLines.push_back(child.id);
    }
  }
  order.orders.push_back(std::move(supplierOrder));
  order.remaining = FulfilmentScript::defaultSteps(fileLines);
  for (StepKind extra : defaultExtras_) order.remaining.push_back({extra, 0});
  const std::int64_t id = order.id;
  push(order, "NEW");
  orders_.emplace(id, std::move(order));
  return id;
}

Asset OrderStore::makeAsset(const std::string& name, const std::string& filename,
                            const std::string& category) {
  Asset asset;
  asset.id = randomId();
  asset.name = name;
  asset.filename = filename;
  asset.category = category;
  // Varied small sizes by default, so clients see different Content-Lengths.
  // A prime stride spreads consecutive files over the whole range.
  const AssetSizeRange range = assetSize_ ? *assetSize_ : AssetSizeRange{10000, 59999};
  asset.size = range.min + (assetCounter_ * 7919) % (range.max - range.min + 1);
  asset.serial = ++assetCounter_;
  return asset;
}

OrderStore::Line* OrderStore::findLine(Collection& order, std::int64_t lineId) {
  for (auto& supplierOrder : order.orders)
    for (auto& line : supplierOrder.lines)
      if (line.id == lineId || (lineId == 0 && line.product->children.empty())) return &line;
  return nullptr;
}

std::string OrderStore::runStep(Collection& order) {
  const ScriptStep step = order.remaining.front();
  order.remaining.pop_front();
  const std::string stepName = FulfilmentScript::name(step.kind);
  order.done.push_back(stepName);
  SupplierOrder& supplierOrder = order.orders.front();
  const std::string place = catalogue_.municipalityName(supplierOrder.municipality);
  switch (step.kind) {
    case StepKind::kProgress:
      setStatus(order, "PROGRESS");
      push(order, "UPDATED");
      break;
    case StepKind::kOrderFile: {
      Asset asset =
          makeAsset("Oversiktsbrev.pdf",
                    "Oversiktsbrev - " + place + " kommune - " + order.request.subject + ".pdf",
                    "KOMMUNAL_INFORMASJON");
      assetOwner_[asset.id] = order.id;
      supplierOrder.assets.push_back(asset);
      push(order, "UPDATED");
      break;
    }
    case StepKind::kLineFile: {
      Line* line = findLine(order, step.lineId);
      if (!line) break;
      const Product& product = *line->product;
      // Realistic names: Norwegian letters, spaces, and the product name (which may hold '/').
      std::string name = product.category == "PLAN_KART_REGULERING"
                             ? "Reguleringskart æøå." + product.fileExtension
                             : "Skann " + std::to_string(line->id % 10000) + " " + product.name +
                                   "." + product.fileExtension;
      Asset asset = makeAsset(
          name, product.name + " - " + order.request.subject + "." + product.fileExtension,
          product.category);
      assetOwner_[asset.id] = order.id;
      line->assets.push_back(asset);
      if (!isCredited(line->status)) line->status = "FINISHED";
      line->dateStatus.update();
      // A package line is done when every line of the package is.
      for (auto& package : supplierOrder.lines) {
        if (package.product->children.empty()) continue;
        bool allDone = true;
        for (const auto& child : supplierOrder.lines)
          if (child.packageLineId == package.id && child.status != "FINISHED" &&
              !isCredited(child.status))
            allDone = false;
        if (allDone && !isCredited(package.status)) package.status = "FINISHED";
      }
      push(order, "UPDATED");
      break;
    }
    case StepKind::kFinish:
      setStatus(order, "FINISHED");
      push(order, "FINISHED");
      break;
    case StepKind::kFileAfterFinished: {
      Asset asset = makeAsset(
          "Tilleggsopplysninger.pdf",
          "Tilleggsopplysninger etter ferdigstillelse - " + order.request.subject + ".pdf",
          "PRODUKT_UTEN_KATEGORI");
      assetOwner_[asset.id] = order.id;
      supplierOrder.assets.push_back(asset);
      push(order, "UPDATED");
      break;
    }
    case StepKind::kWithdraw: {
      // Withdraws the newest file that is still OK.
      Asset* target = nullptr;
      auto consider = [&](Asset& asset) {
        if (!asset.deleted && (!target || asset.serial > target->serial)) target = &asset;
      };
      for (auto& so : order.orders) {
        for (auto& asset : so.assets) consider(asset);
        for (auto& line : so.lines)
          for (auto& asset : line.assets) consider(asset);
      }
      if (target) target->deleted = true;
      push(order, "UPDATED");
      break;
    }
    case StepKind::kCancel:
      setStatus(order, "CANCELLED");
      push(order, "CANCELLED");
      break;
    case StepKind::kRefund:
      setStatus(order, "REFUNDED");
      push(order, "REFUNDED");
      break;
  }
  return stepName;
}

ActionResult OrderStore::step(std::int64_t id, int count) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return notFound(id);
  Array::Ptr ran = new Array;
  for (int i = 0; (count <= 0 || i < count) && !order->remaining.empty(); ++i)
    ran->add(runStep(*order));
  Object::Ptr body = summary(*order);
  body->set("ran", ran);
  return {200, body};
}

void OrderStore::stepAllOpen() {
  std::lock_guard lock(mutex_);
  for (auto& [id, order] : orders_)
    if (!order.remaining.empty()) runStep(order);
}

ActionResult OrderStore::setExtras(std::int64_t id, const std::vector<StepKind>& extras) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return notFound(id);
  std::deque<ScriptStep> kept;
  for (const auto& step : order->remaining)
    if (!FulfilmentScript::isExtra(step.kind)) kept.push_back(step);
  for (StepKind extra : extras) kept.push_back({extra, 0});
  order->remaining = std::move(kept);
  return {200, summary(*order)};
}

ActionResult OrderStore::setGeneration(std::int64_t id, Generation generation) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return notFound(id);
  order->generation = generation;
  return {200, summary(*order)};
}

ActionResult OrderStore::addAsset(std::int64_t id, const AssetSpec& spec) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return notFound(id);
  if (!spec.id.empty() && assetOwner_.count(spec.id) != 0)
    return {409, error("conflict", "id: asset " + spec.id + " already exists")};
  Asset asset = makeAsset(spec.name, spec.filename, spec.category);
  if (!spec.id.empty()) asset.id = spec.id;
  asset.size = spec.size;
  asset.customDownloadUrl = spec.downloadUrl;
  if (spec.level == "line") {
    Line* line = findLine(*order, spec.lineId);
    if (!line)
      return {400, error("validation_failed", "lineId: order " + std::to_string(id) +
                                                  " has no line " + std::to_string(spec.lineId))};
    line->assets.push_back(asset);
  } else {
    order->orders.front().assets.push_back(asset);
  }
  assetOwner_[asset.id] = id;
  push(*order, "UPDATED");
  return {200, assetJson(asset)};
}

ActionResult OrderStore::withdraw(std::int64_t id, const std::string& assetId) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return notFound(id);
  for (auto& so : order->orders) {
    std::vector<Asset*> all;
    for (auto& asset : so.assets) all.push_back(&asset);
    for (auto& line : so.lines)
      for (auto& asset : line.assets) all.push_back(&asset);
    for (Asset* asset : all) {
      if (asset->id != assetId) continue;
      asset->deleted = true;
      push(*order, "UPDATED");
      return {200, assetJson(*asset)};
    }
  }
  return {404,
          error("not_found", "asset " + assetId + " is not part of order " + std::to_string(id))};
}

ActionResult OrderStore::cancel(std::int64_t id, bool refund) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return notFound(id);
  const std::string status = refund ? "REFUNDED" : "CANCELLED";
  order->remaining.clear();  // nothing more is delivered for a cancelled or refunded order
  order->done.push_back(refund ? "refund" : "cancel");
  setStatus(*order, status);
  push(*order, status);
  return {200, summary(*order)};
}

ActionResult OrderStore::cancelLine(std::int64_t id, std::int64_t lineId, bool refund) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return notFound(id);
  Line* line = findLine(*order, lineId);
  if (!line)
    return {404, error("not_found",
                       "order " + std::to_string(id) + " has no line " + std::to_string(lineId))};
  line->status = refund ? "REFUNDED" : "CANCELLED";
  line->dateStatus.update();
  order->done.push_back((refund ? "refund line " : "cancel line ") + std::to_string(lineId));
  push(*order, "UPDATED");
  return {200, summary(*order)};
}

std::optional<Asset> OrderStore::findAsset(const std::string& assetId) {
  std::lock_guard lock(mutex_);
  auto owner = assetOwner_.find(assetId);
  if (owner == assetOwner_.end()) return std::nullopt;
  Collection* order = find(owner->second);
  for (auto& so : order->orders) {
    for (auto& asset : so.assets)
      if (asset.id == assetId) return asset;
    for (auto& line : so.lines)
      for (auto& asset : line.assets)
        if (asset.id == assetId) return asset;
  }
  return std::nullopt;
}

Object::Ptr OrderStore::assetJson(const Asset& asset) {
  Object::Ptr json = new Object;
  json->set("id", asset.id);
  json->set("name", asset.name);
  json->set("filename", asset.filename);
  json->set("downloadUrl", asset.customDownloadUrl.empty()
                               ? baseUrl_ + "/shopping/v2/assets/" + asset.id
                               : asset.customDownloadUrl);
  json->set("assetStatus", asset.deleted ? "DELETED" : "OK");
  json->set("productCategory", asset.category);
  return json;
}

Object::Ptr OrderStore::render(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Collection* order = find(id);
  if (!order) return nullptr;
  const bool old = order->generation == Generation::kOld;
  Object::Ptr json = new Object;
  json->set("id", order->id);
  json->set("status", order->status);
  json->set("reference", order->request.reference);
  if (!order->request.technicalReference.empty())
    json->set("technicalReference", order->request.technicalReference);
  double priceNet = 0;
  for (const auto& so : order->orders)
    for (const auto& line : so.lines)
      if (line.packageLineId == 0) priceNet += line.product->priceNet;
  json->set("priceNet", priceNet);
  json->set("priceVat", Catalogue::grossPrice(priceNet));
  json->set("dateOrdered", old ? oldDate(order->dateOrdered) : newDate(order->dateOrdered));
  json->set("dateStatus", old ? oldDate(order->dateStatus) : newDate(order->dateStatus));
  Array::Ptr orders = new Array;
  for (const auto& so : order->orders) {
    Object::Ptr soJson = new Object;
    soJson->set("id", so.id);
    soJson->set("supplierName", catalogue_.municipalityName(so.municipality) + " Kommune - demo");
    soJson->set("user", "Demo Bruker");
    soJson->set("technicalReference", order->request.technicalReference);
    Array::Ptr assets = new Array;
    for (const auto& asset : so.assets) assets->add(assetJson(asset));
    Array::Ptr lines = new Array;
    for (const auto& line : so.lines) {
      Object::Ptr lineJson = new Object;
      const bool package = !line.product->children.empty();
      const double net = line.packageLineId == 0 ? line.product->priceNet : 0.0;
      lineJson->set("id", line.id);
      lineJson->set("product", line.product->code);
      lineJson->set("productName", line.product->name);
      lineJson->set("mediaType", line.product->fileExtension == "pdf" ? "PDF" : "Datafil");
      lineJson->set("delivery", "Elektronisk");
      lineJson->set("priceNet", net);
      lineJson->set("priceVat", Catalogue::grossPrice(net));
      if (old) {
        // Older generation: objects with codes, no dates/package links/line files; the
        // line's files are reported at the supplier-order level instead.
        lineJson->set("status", codeName(line.status, statusName(line.status)));
        lineJson->set("productType",
                      package ? codeName("1", "Pakke") : codeName("0", "Enkeltprodukt"));
        for (const auto& asset : line.assets) assets->add(assetJson(asset));
      } else {
        lineJson->set("status", line.status);
        lineJson->set("productType", package ? "PACKAGE" : "NORMAL");
        lineJson->set("dateStatus", newDay(line.dateStatus));
        if (line.packageLineId != 0) lineJson->set("packageLineId", line.packageLineId);
        Array::Ptr lineAssets = new Array;
        for (const auto& asset : line.assets) lineAssets->add(assetJson(asset));
        lineJson->set("assets", lineAssets);
      }
      lines->add(lineJson);
    }
    soJson->set("assets", assets);
    soJson->set("orderLines", lines);
    orders->add(soJson);
  }
  json->set("orders", orders);
  return json;
}

Object::Ptr OrderStore::summary(const Collection& order) {
  Object::Ptr json = new Object;
  json->set("id", order.id);
  json->set("kind", order.request.kind);
  json->set("status", order.status);
  json->set("reference", order.request.reference);
  json->set("technicalReference", order.request.technicalReference);
  json->set("generation", order.generation == Generation::kOld ? "old" : "new");
  Array::Ptr done = new Array;
  for (const auto& name : order.done) done->add(name);
  json->set("done", done);
  Array::Ptr remaining = new Array;
  for (const auto& step : order.remaining) remaining->add(FulfilmentScript::name(step.kind));
  json->set("remaining", remaining);
  Array::Ptr assets = new Array;
  for (const auto& so : order.orders) {
    for (const auto& asset : so.assets) assets->add(asset.id);
    for (const auto& line : so.lines)
      for (const auto& asset : line.assets) assets->add(asset.id);
  }
  json->set("assets", assets);
  return json;
}

Array::Ptr OrderStore::summaries() {
  std::lock_guard lock(mutex_);
  Array::Ptr array = new Array;
  for (const auto& [id, order] : orders_) array->add(summary(order));
  return array;
}

}  // namespace sandbox
