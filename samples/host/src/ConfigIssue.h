#pragma once
/// The host's configuration problems are those of the shared schema validator
/// (config-common): one type for the host's own keys, the connector's and the plugin's.

#include "dms/config/ConfigIssue.h"

namespace dms::host {

using config::ConfigIssue;
using config::ConfigIssues;

}  // namespace dms::host
