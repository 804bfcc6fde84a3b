#include "commands/OrderLimits.h"

#include "commands/Money.h"

namespace ambita::commands {
namespace {

constexpr std::int64_t kDefaultConfirmAboveOre = 5000 * 100;

/// The amount at orders.<key> in øre; `fallback` when absent.
dms::Result<std::int64_t> readAmount(const Poco::JSON::Object& section, const std::string& key,
                                     std::int64_t fallback) {
  const std::string path = "ambita.orders." + key;
  if (!section.has("orders")) return fallback;
  const auto orders = section.getObject("orders");
  if (!orders)
    return dms::fail(dms::ErrorCode::InvalidArgument, "ambita.orders: expected an object");
  if (!orders->has(key) || orders->isNull(key)) return fallback;
  auto ore = parseOre(orders->get(key), path);
  if (!ore) return ore.error();
  if (*ore < 0)
    return dms::fail(dms::ErrorCode::InvalidArgument,
                     path + ": expected an amount >= 0 (0 = no limit), got " + formatNok(*ore));
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

dms::Result<OrderLimits> parseOrderLimits(const Poco::JSON::Object& section) {
  OrderLimits limits;
  auto confirm = readAmount(section, "confirmAboveNok", kDefaultConfirmAboveOre);
  if (!confirm) return confirm.error();
  limits.confirmAboveOre = *confirm;
  auto max = readAmount(section, "maxOrderNok", 0);
  if (!max) return max.error();
  limits.maxOrderOre = *max;
  return limits;
}

}  // namespace ambita::commands
