#pragma once
/// Where a benchmark leaves what outlives its run (the children's logs, the results table):
/// DMS_BENCH_OUTPUT_DIR when set (CTest sets it per row, so rows sharing a binary keep their
/// files apart), else the folder of the benchmark's own executable (its build folder), never
/// the folder it was started from.

#include <filesystem>

namespace dms::bench {

std::filesystem::path benchOutputDir();

}  // namespace dms::bench
