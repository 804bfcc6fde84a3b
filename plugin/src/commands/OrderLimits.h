#pragma once
/// The price limits of the `order` command, from the configuration section `ambita`:
/// `orders.confirmAboveNok` and `orders.maxOrderNok` (gross amounts incl. VAT, in NOK).

#include <vector>

#include "commands/OrderCommand.h"
#include "dms/ConfigSchema.h"
#include "dms/Error.h"
#include "dms/config/OptionReader.h"

namespace ambita::commands {

/// Schema entries (with defaults) of the two limits.
std::vector<dms::ConfigOption> orderConfigOptions();

/// Reads the limits through a reader of the plugin's section (types and defaults from
/// orderConfigOptions()); amounts with at most 2 decimals, >= 0 (0 = no limit).
/// InvalidArgument naming the key (e.g. "ambita.orders.maxOrderNok") otherwise.
dms::Result<OrderLimits> parseOrderLimits(const dms::config::OptionReader& options);

}  // namespace ambita::commands
