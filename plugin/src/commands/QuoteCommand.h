#pragma once
/// Host command `quote`: the price of an order (net, VAT, gross per product, NOK) without
/// ordering. Takes the same arguments as `order` (--reference may be left out).

#include <string>
#include <vector>

#include "api/AmbitaClient.h"
#include "dms/Plugin.h"

namespace ambita::commands {

/// Prints the quote (see printQuote). Returns 0 on success, 1 when the price could not be
/// learned (message on io.err), 2 for bad usage. Orders nothing. Never throws.
int runQuoteCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                    const dms::CommandIO& io);

}  // namespace ambita::commands
