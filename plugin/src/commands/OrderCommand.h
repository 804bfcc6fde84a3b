#pragma once
/// Host commands `order` (creates an Ambita order from the command line and prints its id) and
/// the argument parsing it shares with `quote`.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/AmbitaClient.h"
#include "commands/TerminalPrompt.h"
#include "dms/Plugin.h"

namespace ambita::commands {

#define AMBITA_ORDER_ARGUMENTS                                                                     \
  "--kind cadastre|share|map [--cadastre KNR-GNR-BNR-FNR-SNR --address 'STREET, NNNN PLACE'] "     \
  "[--organization-number NNNNNNNNN --share-number N] [--geometry GEOJSON|@FILE --srid "           \
  "25832|25833] --product CODE [--product CODE ...] [--product-data CODE=JSON ...] --reference R " \
  "[--technical-reference T] [--yes]"
inline constexpr const char* kOrderUsage = "order " AMBITA_ORDER_ARGUMENTS;
inline constexpr const char* kQuoteUsage =
    "quote " AMBITA_ORDER_ARGUMENTS " (--reference optional)";
#undef AMBITA_ORDER_ARGUMENTS

/// Called once the order exists (e.g. to track it as created here). Must not throw.
using OrderCreated = std::function<void(const api::OrderCollection&, const api::NewOrder&)>;

/// Asks a yes/no question on the user's terminal (askYesNoOnTerminal): the answer, Cancelled
/// when the plugin stopped meanwhile, nullopt when there is no terminal to ask on (a script).
/// Empty = never a terminal.
using AskOnTerminal = std::function<std::optional<TerminalAnswer>(const std::string& question)>;

/// Amounts (gross, incl. VAT, in øre; 0 = no limit) from ambita.orders.* (see OrderLimits.h).
struct OrderLimits {
  std::int64_t confirmAboveOre = 0;  ///< above this, ask (or require --yes)
  std::int64_t maxOrderOre = 0;      ///< above this, refuse
};

enum class ArgumentsFor { Order, Quote };

struct OrderArguments {
  api::NewOrder order;
  bool yes = false;  ///< --yes: no confirmation asked (scripts)
};

/// Parses what `order` and `quote` take (for a quote --reference may be left out). On a usage
/// problem writes it, naming the flag, with the usage line to io.err and returns exit code 2.
std::variant<OrderArguments, int> parseOrderArguments(const std::vector<std::string>& args,
                                                      const dms::CommandIO& io,
                                                      ArgumentsFor purpose);

/// Validates the arguments, prints the price (see Quote.h), refuses above limits.maxOrderOre
/// and, above limits.confirmAboveOre without --yes, asks on the terminal (refuses when there
/// is none) — all before anything is ordered; then creates the order and prints
/// "order created: <id>" on io.out. Returns 0 on success, 1 when refused, not confirmed, the
/// question cancelled (the plugin is stopping), or when Ambita refused or the call failed
/// (message on io.err; for an ambiguous failure the message says to check before ordering
/// again), 2 for bad usage (message naming the flag, then the usage line). ask and onCreated
/// may be empty. Never throws.
int runOrderCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                    const dms::CommandIO& io, const OrderLimits& limits, const AskOnTerminal& ask,
                    const OrderCreated& onCreated);

}  // namespace ambita::commands
