#pragma once
/// Push message bodies (POSTed by Ambita to our callback) into api::PushMessage. The body is a
/// hint only: the order id is what counts, so that is the one field that must be right.

#include <string>

#include "api/Model.h"
#include "dms/Error.h"

namespace ambita::api {

class PushParser {
 public:
  /// Accepts `orderCollectionId` (preferred) or the older `orderId`, as an integer or a numeric
  /// string, > 0. `status` may be a string or {code,name}; `reference`/`technicalReference`
  /// optional. Errors (InvalidArgument) name the problem: "push message: malformed JSON: ...",
  /// "push message: orderCollectionId: expected an integer, got ...", "push message: neither
  /// orderCollectionId nor orderId given". Thread-safe.
  static dms::Result<PushMessage> parse(const std::string& body);
};

}  // namespace ambita::api
