#pragma once
/// Validates a create-order body (POST /kode/v1/orders/{cadastre|share|map}) against the
/// catalogue. Every error names the JSON path that is wrong and what was expected.

#include <string>
#include <vector>

#include "Catalogue.h"

namespace sandbox {

/// A validated order request.
struct OrderRequest {
  std::string kind;  ///< cadastre, share or map
  std::string reference;
  std::string technicalReference;  ///< empty when not given
  std::string municipality;        ///< the supplier municipality (knr)
  std::string subject;  ///< what was ordered for: the cadastre, "orgnr/share" or "kartutsnitt"
  std::vector<const Product*> products;
};

class OrderValidator {
 public:
  explicit OrderValidator(const Catalogue& catalogue) : catalogue_(catalogue) {}

  /// What the body is for: an order needs its reference; a price request (POST /prices) has
  /// none, and otherwise the same rules.
  enum class Purpose { Order, Quote };

  /// Parses and validates. Returns an error message "path: what is wrong", empty on success.
  std::string validate(const std::string& kind, const std::string& body, OrderRequest& out,
                       Purpose purpose = Purpose::Order) const;

 private:
  const Catalogue& catalogue_;
};

}  // namespace sandbox
