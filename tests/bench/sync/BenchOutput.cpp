#include "BenchOutput.h"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace dms::bench {

std::filesystem::path benchOutputDir() {
  if (const char* chosen = std::getenv("DMS_BENCH_OUTPUT_DIR"); chosen && *chosen)
    return std::filesystem::absolute(chosen);
  std::error_code ec;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    throw std::runtime_error("cannot tell where the benchmark's executable is (/proc/self/exe: " +
                             ec.message() + "); set DMS_BENCH_OUTPUT_DIR");
  return executable.parent_path();
}

}  // namespace dms::bench
