#include "filing/StateStore.h"

namespace ambita::filing {

std::string toString(OrderOrigin origin) {
  switch (origin) {
    case OrderOrigin::Created:
      return "created";
    case OrderOrigin::Push:
      return "push";
    case OrderOrigin::Admin:
      return "admin";
    case OrderOrigin::Poll:
      return "poll";
  }
  return "admin";
}

OrderOrigin orderOriginFrom(const std::string& text) {
  if (text == "created") return OrderOrigin::Created;
  if (text == "push") return OrderOrigin::Push;
  if (text == "poll") return OrderOrigin::Poll;
  return OrderOrigin::Admin;
}

std::string toString(AssetState state) {
  switch (state) {
    case AssetState::Filing:
      return "filing";
    case AssetState::Filed:
      return "filed";
    case AssetState::Removing:
      return "removing";
    case AssetState::Removed:
      return "removed";
    case AssetState::Failed:
      return "failed";
  }
  return "failed";
}

AssetState assetStateFrom(const std::string& text) {
  if (text == "filing") return AssetState::Filing;
  if (text == "filed") return AssetState::Filed;
  if (text == "removing") return AssetState::Removing;
  if (text == "removed") return AssetState::Removed;
  return AssetState::Failed;
}

std::string LeaseKey::describe() const {
  switch (kind) {
    case Kind::Order:
      return "order " + std::to_string(orderId);
    case Kind::Polling:
      return "polling";
    case Kind::Filing:
      return "filing";
  }
  return "filing";
}

}  // namespace ambita::filing
