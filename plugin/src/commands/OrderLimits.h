#pragma once
/// The price limits of the `order` command, from the configuration section `ambita`:
/// `orders.confirmAboveNok` and `orders.maxOrderNok` (gross amounts incl. VAT, in NOK).

#include <vector>

#include <Poco/JSON/Object.h>

#include "commands/OrderCommand.h"
#include "dms/ConfigSchema.h"
#include "dms/Error.h"

namespace ambita::commands {

/// Schema entries (with defaults) of the two limits.
std::vector<dms::ConfigOption> orderConfigOptions();

/// Reads the limits; amounts with at most 2 decimals (numbers; numeric strings too), >= 0
/// (0 = no limit). InvalidArgument naming the key (e.g. "ambita.orders.maxOrderNok") otherwise.
dms::Result<OrderLimits> parseOrderLimits(const Poco::JSON::Object& section);

}  // namespace ambita::commands
