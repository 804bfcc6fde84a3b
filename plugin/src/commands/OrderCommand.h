#pragma once
/// Host command `order`: creates an Ambita order from the command line and prints its id.

#include <functional>
#include <string>
#include <vector>

#include "api/AmbitaClient.h"
#include "dms/Plugin.h"

namespace ambita::commands {

inline constexpr const char* kOrderUsage =
    "order --kind cadastre|share|map [--cadastre KNR-GNR-BNR-FNR-SNR --address 'STREET, NNNN "
    "PLACE'] [--organization-number NNNNNNNNN --share-number N] [--geometry GEOJSON|@FILE --srid "
    "25832|25833] --product CODE [--product CODE ...] [--product-data CODE=JSON ...] --reference R "
    "[--technical-reference T]";

/// Called once the order exists (e.g. to track it as created here). Must not throw.
using OrderCreated = std::function<void(const api::OrderCollection&, const api::NewOrder&)>;

/// Validates the arguments, creates the order and prints "order created: <id>" on io.out.
/// Returns 0 on success, 1 when Ambita refused or the call failed (message on io.err; for an
/// ambiguous failure the message says to check before ordering again), 2 for bad usage (message
/// naming the flag, then the usage line). onCreated may be empty. Never throws.
int runOrderCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                    const dms::CommandIO& io, const OrderCreated& onCreated);

}  // namespace ambita::commands
