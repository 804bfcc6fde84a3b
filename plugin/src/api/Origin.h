#pragma once
/// The API client names origins as http-common defines them (one definition for both HTTP
/// clients: the session pool is keyed by it).

#include "dms/http/Origin.h"

namespace ambita::api {

using dms::http::Origin;
using dms::http::redactedUrl;

}  // namespace ambita::api
