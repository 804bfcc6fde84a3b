#pragma once
/// The imitated Ambita API: token endpoint, products, prices, create/get order and asset downloads,
/// with fault injection and the request log. Stateless itself; shares the sandbox state.

#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "Catalogue.h"
#include "FaultInjector.h"
#include "OrderStore.h"
#include "OrderValidator.h"
#include "RequestLog.h"
#include "TokenService.h"

namespace sandbox {

/// The sandbox's shared state, owned by SandboxServer and referenced by both request handlers.
struct SandboxState {
  Catalogue& catalogue;
  TokenService& tokens;
  OrderStore& orders;
  FaultInjector& faults;
  RequestLog& log;
  PushSender& pushes;
  bool openDownloads;
};

class KodeApi {
 public:
  explicit KodeApi(SandboxState& state) : state_(state), validator_(state.catalogue) {}

  /// Handles one API request completely (answer, fault, log record). Never throws for a bad
  /// request; network errors from a vanished client may propagate to Poco's server.
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  /// Creates an order from an API body without auth or faults (also used by the control API).
  /// Returns the HTTP status and the body (the order or an error).
  std::pair<int, Poco::Dynamic::Var> createOrder(const std::string& kind, const std::string& body);

  /// POST /kode/v1/prices/{kind}: validates like an order (reference not needed) and answers
  /// [{"code", "price": {"salesPriceNet", "salesPriceVat"}}] per ordered product, the same
  /// prices an order of these products records.
  std::pair<int, Poco::Dynamic::Var> quote(const std::string& kind, const std::string& body);

 private:
  SandboxState& state_;
  OrderValidator validator_;
};

}  // namespace sandbox
