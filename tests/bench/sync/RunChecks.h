#pragma once
/// Checks of a dms-host run shared by the benchmarks that start it (sync_bench, scale_bench):
/// each throws BrokenRun naming `what` when the run did the wrong thing.

#include <cstddef>
#include <string>

#include "BenchReport.h"
#include "support/ChildProcess.h"
#include "support/SandboxProcess.h"

namespace dms::bench {

/// The sandbox's request log holds exactly `expected` downloads.
void requireDownloads(const test::SandboxProcess& sandbox, std::size_t expected,
                      const std::string& what);

/// dms-host's summary line says every order was synced and how many files were filed.
void requireSummary(const test::ChildResult& run, std::size_t orders, std::size_t filed,
                    const std::string& what);

}  // namespace dms::bench
