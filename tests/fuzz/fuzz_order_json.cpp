// Order JSON from Ambita (GET /kode/v1/orders/{id}, both payload generations) and the product
// catalogue: any text must give an order or an error, never a crash or an exception.
#include "FuzzInput.h"
#include "api/ModelParser.h"

using ambita::api::ModelParser;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = ModelParser::parseJson(dms::fuzz::text(data, size));
  if (!json) return 0;
  if (auto order = ModelParser::orderCollection(*json); !order) {
    dms::fuzz::require(!order.error().message.empty(), "an order error says what was wrong");
  }
  if (auto products = ModelParser::products(*json); !products) {
    dms::fuzz::require(!products.error().message.empty(), "a catalogue error says what was wrong");
  }
  return 0;
}
