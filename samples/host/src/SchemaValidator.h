#pragma once
/// The host validates every section with the validator the modules read their options with
/// (config-common), so `config check` and a module embedded in another host apply one rule.

#include "ConfigIssue.h"
#include "dms/config/SchemaValidator.h"

namespace dms::host {

using config::SchemaValidator;
using config::ValidatedSection;

}  // namespace dms::host
