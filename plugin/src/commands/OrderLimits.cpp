#include "commands/OrderLimits.h"

#include "commands/Money.h"

namespace ambita::commands {
namespace {

/// The amount at `key` in øre (its default from orderConfigOptions() when absent).
dms::Result<std::int64_t> readAmount(const dms::config::OptionReader& options,
                                     const std::string& key) {
  auto ore = parseOre(Poco::Dynamic::Var(options.number(key)), options.path(key));
  if (!ore) return ore.error();
  if (*ore < 0)
    return options.invalid(key, "expected an amount >= 0 (0 = no limit), got " + formatNok(*ore));
  return ore;
}

}  // namespace

std::vector<dms::ConfigOption> orderConfigOptions() {
  return {
      {"orders.confirmAboveNok", dms::OptionType::Number, "5000", false, false,
       "`order` asks for confirmation on a terminal when the price incl. VAT is above this "
       "amount (NOK); without a terminal it refuses unless --yes is given. 0 = never ask."},
      {"orders.maxOrderNok", dms::OptionType::Number, "0", false, false,
       "`order` refuses, before anything is sent to Ambita, an order whose price incl. VAT is "
       "above this amount (NOK). 0 = no limit."},
  };
}

dms::Result<OrderLimits> parseOrderLimits(const dms::config::OptionReader& options) {
  OrderLimits limits;
  auto confirm = readAmount(options, "orders.confirmAboveNok");
  if (!confirm) return confirm.error();
  limits.confirmAboveOre = *confirm;
  auto max = readAmount(options, "orders.maxOrderNok");
  if (!max) return max.error();
  limits.maxOrderOre = *max;
  return limits;
}

}  // namespace ambita::commands
