// Order JSON from Ambita (GET /kode/v1/orders/{id}, both payload generations) and the product
// catalogue: any text must give an order or an error, never a crash or an exception; and the
// order read straight from the text (api/OrderReader, what the client uses) must be the one
// read from the parsed tree, or fail with the same message.
#include "FuzzInput.h"
#include "api/ModelParser.h"

using ambita::api::ModelParser;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = dms::fuzz::text(data, size);
  const auto streamed = ModelParser::orderCollectionFromText(text);
  const auto json = ModelParser::parseJson(text);
  dms::fuzz::require(streamed.malformed == !json, "both readings agree on malformed JSON");
  if (!json) return 0;
  if (auto order = ModelParser::orderCollection(*json); !order) {
    dms::fuzz::require(!order.error().message.empty(), "an order error says what was wrong");
    dms::fuzz::require(!streamed.value && streamed.value.error().message == order.error().message,
                       "the streamed reading fails with the tree's message");
  } else {
    dms::fuzz::require(streamed.value && *streamed.value == *order,
                       "the streamed reading gives the tree's order");
  }
  if (auto products = ModelParser::products(*json); !products) {
    dms::fuzz::require(!products.error().message.empty(), "a catalogue error says what was wrong");
  }
  return 0;
}
