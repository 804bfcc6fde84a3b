#pragma once
/// JSON answers of the Ambita API into api/Model.h values. Tolerant where the API is vague
/// (both payload generations, codes as string or {code,name}, numbers as numeric strings,
/// optional fields missing, unknown statuses kept) and strict where it matters: a required
/// field that is missing or of the wrong kind is an InvalidArgument error naming its JSON
/// path, e.g. "orders[0].orderLines[2].assets[1].id: expected a string".

#include <chrono>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

#include "api/Model.h"
#include "dms/Error.h"

namespace ambita::api {

/// POST /authentication/v2/token answer.
struct TokenResponse {
  std::string accessToken;
  std::string tokenType;
  std::chrono::seconds expiresIn{3600};
  std::string refreshToken;  ///< may be empty
  std::vector<std::string> scope;
};

/// Stateless; every function is thread-safe.
class ModelParser {
 public:
  /// Parses JSON text. Error (InvalidArgument) "malformed JSON: <where and why>"; the caller
  /// may treat it as transient (a garbled answer) and ask again.
  static dms::Result<Poco::Dynamic::Var> parseJson(const std::string& text);

  /// GET /kode/v1/products: a JSON array of products. Required per product: `code`.
  static dms::Result<std::vector<Product>> products(const Poco::Dynamic::Var& json);

  /// An answer's text read into a value: `malformed` when the text is not JSON (a garbled
  /// answer, which a caller may ask again: `value` holds parseJson's error), else `value` is
  /// the value or why the answer is refused.
  template <class T>
  struct TextAnswer {
    bool malformed = false;
    dms::Result<T> value;
  };

  /// GET /kode/v1/orders/{id} (and the create-order answer). Required: `id` of the collection,
  /// of each supplier order and order line (integer or numeric string), and `id` of each asset
  /// (string; an integer is taken as its decimal text). Everything else optional. When several
  /// fields are wrong, the first in the order these rules check them is named.
  static dms::Result<OrderCollection> orderCollection(const Poco::Dynamic::Var& json);
  /// The same read straight from the answer's text (api/OrderReader: no Dynamic::Var tree),
  /// with the same values and messages as parseJson + orderCollection(Var).
  static TextAnswer<OrderCollection> orderCollectionFromText(const std::string& text);

  /// Token endpoint answer. Required: `access_token`; `expires_in` defaults to 3600 s. A token
  /// (access or refresh) longer than kMaxTokenBytes is refused: no server takes such a header.
  static dms::Result<TokenResponse> token(const Poco::Dynamic::Var& json);
  static constexpr std::size_t kMaxTokenBytes = 64 * 1024;

  /// An Ambita/OAuth2 error body reduced to one line ("invalid_grant: bad password", the
  /// `message` field, ...), or the first 200 bytes of the text when it is not JSON.
  static std::string errorSummary(const std::string& body);
};

}  // namespace ambita::api
