#pragma once
/// Host command `products --municipality NNNN [--json]`: Ambita's catalogue for a municipality
/// as a readable table (code, name, type, input type, price incl. VAT) or as JSON.

#include <string>
#include <vector>

#include "api/AmbitaClient.h"
#include "dms/Plugin.h"

namespace ambita::commands {

inline constexpr const char* kProductsUsage = "products --municipality NNNN [--json]";

/// Runs the command. Returns 0 on success, 1 when the API call failed (message on io.err),
/// 2 for bad usage (message naming the flag, then the usage line). Never throws.
int runProductsCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                       const dms::CommandIO& io);

}  // namespace ambita::commands
