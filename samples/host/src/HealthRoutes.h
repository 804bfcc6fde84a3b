#pragma once
/// The host's own routes on http.listen, served beside the plugin's while `dms-host run` runs:
///
///   GET /healthz  200 {"status":"alive"}: the process serves requests
///   GET /readyz   200 {"ready":true,"checks":[{"name":"state","ok":true},...]} when every
///                 readiness check passes, else 503 {"ready":false,"failed":["token"],
///                 "checks":[...,{"name":"token","ok":false,"error":"..."}]}: which check failed
///                 and why (masked like the log: never a secret)
///
/// The readiness checks of a running plugin and its target, in this order:
///   state   the plugin reads its state (a read-only command; the service holds it open)
///   target  the target's root is a folder (stat) and can be written: a probe file
///           (kTargetProbeFile) is put and removed again, so a read-only or full target fails
///   token   the plugin makes an authenticated read-only call to its API, obtaining an access
///           token when it has none (Ambita: the product list of one municipality)
/// The host SDK has no readiness query, so "state" and "token" run read-only commands of the
/// plugins this host knows (see HealthRoutes.cpp); another plugin gets the target check only.
/// A route the plugin declares on one of these paths is hidden by the host's.

#include <memory>
#include <vector>

#include "ReadinessProbe.h"
#include "StderrLogger.h"
#include "dms/DocumentTarget.h"
#include "dms/Plugin.h"

namespace dms::host {

inline constexpr const char* kHealthPath = "/healthz";
inline constexpr const char* kReadyPath = "/readyz";
/// Written and removed at the target's root by the target check.
inline constexpr const char* kTargetProbeFile = "dms-host-readiness-probe.txt";

/// GET /healthz and GET /readyz, answering from `probe`; errors are masked by `logger`. Both
/// must outlive the routes' use.
std::vector<Route> healthRoutes(ReadinessProbe& probe, const StderrLogger& logger);

/// The checks for `plugin` (whose service runs) and `target`. Both must outlive the checks.
std::vector<ReadinessCheck> readinessChecks(Plugin& plugin, DocumentTarget& target);

}  // namespace dms::host
