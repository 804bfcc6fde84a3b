// dms-host: a sample host for DMS plugin modules (see Host.h for the command line).
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "Host.h"

int main(int argc, char** argv) {
  // The default modules folder is build/modules beside build/samples/dms-host.
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) self = std::filesystem::absolute(argv[0]);
  const auto modules = (self.parent_path() / ".." / "modules").lexically_normal();

  std::vector<std::string> args(argv + 1, argv + argc);
  dms::host::Host host(std::cout, std::cerr, modules);
  return host.main(args);
}
