#pragma once
/// The API client retries by the policy both HTTP clients share (dms/http/RetryPolicy.h).

#include "dms/http/RetryPolicy.h"

namespace ambita::api {

using dms::http::RetryPolicy;
using dms::http::RetrySettings;

}  // namespace ambita::api
