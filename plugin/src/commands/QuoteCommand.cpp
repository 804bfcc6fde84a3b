#include "commands/QuoteCommand.h"

#include <ostream>
#include <variant>

#include "commands/OrderCommand.h"
#include "commands/Quote.h"

namespace ambita::commands {

int runQuoteCommand(api::AmbitaClient& client, const std::vector<std::string>& args,
                    const dms::CommandIO& io) {
  try {
    auto parsed = parseOrderArguments(args, io, ArgumentsFor::Quote);
    if (const int* exitCode = std::get_if<int>(&parsed)) return *exitCode;
    auto quote = quoteOrder(client, std::get<OrderArguments>(parsed).order);
    if (!quote) {
      *io.err << "quote: " << quote.error().describe() << "\n";
      return 1;
    }
    printQuote(*quote, *io.out);
    return io.out->good() ? 0 : 1;
  } catch (const std::exception& e) {
    *io.err << "quote: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ambita::commands
