#pragma once
/// The one JSON writer for the status structures (Poco::JSON), used by every command's --json.
/// The field names are the contract with the host's admin API (see plugin/README.md, "Status
/// as data"): extra fields may be added, none renamed. Times are ISO 8601 UTC strings, order
/// ids numbers, sizes bytes; an absent value is null.

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "filing/FilingService.h"
#include "filing/Reconciler.h"
#include "status/StatusQuery.h"

namespace ambita::status::json {

Poco::JSON::Object::Ptr order(const filing::OrderSummary& summary);
Poco::JSON::Object::Ptr asset(const filing::AssetRecord& asset);
Poco::JSON::Object::Ptr auditEntry(const filing::AuditEntry& entry);
/// {"total", "page", "perPage", "orders"}
Poco::JSON::Object::Ptr orderPage(const filing::OrderPage& page, std::size_t pageNumber,
                                  std::size_t perPage);
/// {"at", "target", "message"}: what the target's last recover() could not remove (issue 15,
/// gaps2); null when it left nothing. `status --json` carries it as "targetLeftovers".
Poco::Dynamic::Var targetLeftovers(const std::optional<filing::TargetLeftovers>& leftovers);
/// {"order", "assets", "audit", "cost"}; cost is null when the ledger has nothing for the order
Poco::JSON::Object::Ptr orderDetail(const OrderDetail& detail);
/// An amount, given twice: in øre as integers ("netOre", "vatOre", "grossOre") and as exact
/// decimal NOK strings ("net", "vat", "gross"). Every amount of every command is written so.
void setAmounts(Poco::JSON::Object& object, const filing::CostTotals& amount);
/// {"failures": [...], "waitingOrders": [...]}
Poco::JSON::Object::Ptr failures(const Failures& failures);
/// {"audit": [...]}
Poco::JSON::Object::Ptr audit(const std::vector<filing::AuditEntry>& entries);
/// {"orderId", "assets": [{"assetId", "name", "category", "action", "path", ...}]}
Poco::JSON::Object::Ptr preview(std::int64_t orderId,
                                const std::vector<filing::PreviewEntry>& entries);
/// {"ok", "missing", "changed", "orphaned", "filedAgain", "repaired", "clean", "findings",
/// "errors"}
Poco::JSON::Object::Ptr verify(const filing::VerifyReport& report);
/// {"error": message}
Poco::JSON::Object::Ptr error(const std::string& message);

/// Writes `document` as one line of JSON.
void print(std::ostream& out, const Poco::JSON::Object::Ptr& document);

}  // namespace ambita::status::json
