#pragma once
/// All orders of this sandbox run, their fulfilment scripts and their delivered files, and the
/// rendering of an order in either payload generation. Thread-safe (one mutex; all calls short).

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>

#include "Catalogue.h"
#include "FulfilmentScript.h"
#include "OrderValidator.h"
#include "PushSender.h"
#include "SandboxOptions.h"

namespace sandbox {

enum class Generation { kNew, kOld };

/// A delivered file.
struct Asset {
  std::string id;  ///< 32 lowercase hex digits
  std::string name;
  std::string filename;
  std::string category;
  std::uint64_t size = 0;
  std::string customDownloadUrl;  ///< reported instead of this server's URL when not empty
  bool deleted = false;
  std::uint64_t serial = 0;  ///< creation order within this run
};

/// Where to put an added file and what it is (POST /_sandbox/orders/<id>/assets).
struct AssetSpec {
  std::string id;  ///< empty: a random id
  std::string name;
  std::string filename;
  std::string category;
  std::uint64_t size = 0;
  std::string level = "order";  ///< "order" or "line"
  std::int64_t lineId = 0;      ///< line level: 0 = the first line that is not a package
  std::string downloadUrl;      ///< empty: this server's download URL
};

/// Result of a control action: HTTP status and JSON body.
struct ActionResult {
  int status = 200;
  Poco::JSON::Object::Ptr body;
};

class OrderStore {
 public:
  OrderStore(const Catalogue& catalogue, PushSender& pushes, Generation defaultGeneration,
             std::vector<StepKind> defaultExtras, std::optional<AssetSizeRange> assetSize);

  /// This server's base URL (set once the port is known), used in download URLs.
  void setBaseUrl(const std::string& baseUrl);

  /// Creates an order (status NEW, push NEW) and returns its collection id.
  std::int64_t create(const OrderRequest& request);

  /// The order in its generation's JSON, or nullptr when there is no such order.
  Poco::JSON::Object::Ptr render(std::int64_t id);

  /// Runs up to `count` script steps (0 = all remaining) and reports what ran.
  ActionResult step(std::int64_t id, int count);

  /// Runs one step of every open order (the --step-interval-ms clock).
  void stepAllOpen();

  ActionResult setExtras(std::int64_t id, const std::vector<StepKind>& extras);
  ActionResult setGeneration(std::int64_t id, Generation generation);
  ActionResult addAsset(std::int64_t id, const AssetSpec& spec);
  ActionResult withdraw(std::int64_t id, const std::string& assetId);
  ActionResult cancel(std::int64_t id, bool refund);
  /// One line CANCELLED or REFUNDED (it stays so while the order goes on); push UPDATED.
  ActionResult cancelLine(std::int64_t id, std::int64_t lineId, bool refund);

  /// A file by id from any order (a copy), or nothing.
  std::optional<Asset> findAsset(const std::string& assetId);

  /// Summaries of every order for GET /_sandbox/orders.
  Poco::JSON::Array::Ptr summaries();

 private:
  struct Line {
    std::int64_t id = 0;
    const Product* product = nullptr;
    std::string status = "NEW";
    std::int64_t packageLineId = 0;
    Poco::Timestamp dateStatus;
    std::vector<Asset> assets;
  };
  struct SupplierOrder {
    std::int64_t id = 0;
    std::string municipality;
    std::vector<Line> lines;
    std::vector<Asset> assets;
  };
  struct Collection {
    std::int64_t id = 0;
    OrderRequest request;
    std::string status = "NEW";
    Generation generation = Generation::kNew;
    Poco::Timestamp dateOrdered;
    Poco::Timestamp dateStatus;
    std::vector<SupplierOrder> orders;
    std::deque<ScriptStep> remaining;
    std::vector<std::string> done;
  };

  Collection* find(std::int64_t id);
  ActionResult notFound(std::int64_t id);
  Poco::JSON::Object::Ptr summary(const Collection& order);
  std::string runStep(Collection& order);  // returns the step name
  void setStatus(Collection& order, const std::string& status);
  void push(const Collection& order, const std::string& status);
  Asset makeAsset(const std::string& name, const std::string& filename,
                  const std::string& category);
  Line* findLine(Collection& order, std::int64_t lineId);
  Poco::JSON::Object::Ptr assetJson(const Asset& asset);
  std::string randomId();

  const Catalogue& catalogue_;
  PushSender& pushes_;
  const Generation defaultGeneration_;
  const std::vector<StepKind> defaultExtras_;
  const std::optional<AssetSizeRange> assetSize_;
  std::mutex mutex_;
  std::string baseUrl_;
  std::map<std::int64_t, Collection> orders_;
  std::map<std::string, std::int64_t> assetOwner_;  // asset id -> collection id
  std::int64_t nextCollectionId_ = 1000001;
  std::int64_t nextSupplierOrderId_ = 2000001;
  std::int64_t nextLineId_ = 3000001;
  std::uint64_t assetCounter_ = 0;
};

}  // namespace sandbox
