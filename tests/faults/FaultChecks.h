#pragma once
/// The check every fault case ends with, once its fault is gone: one more `dms-host sync`
/// succeeds, the archive is exact against the sandbox (every file once, byte-identical, with
/// metadata, no temporaries), `verify` is clean, and no secret shows in any output.

#include <cstdint>

#include "E2eWorld.h"

namespace dms::faults {

void expectExactAfterSync(e2e::E2eWorld& world, std::int64_t order);

}  // namespace dms::faults
