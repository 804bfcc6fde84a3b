// A minimal external host: loads the plugin module given on the command line with the
// installed loader, prints its descriptor and the plugin's configuration options.
#include <dms/ModuleLoader.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer-host MODULE.so\n";
    return 2;
  }
  dms::ModuleLoader loader;
  const dms::PluginModule module = loader.loadPlugin(argv[1]);
  if (!module.ok()) {
    std::cerr << dms::toString(module.report().outcome) << ": " << module.report().message << "\n";
    return 1;
  }
  const auto& descriptor = *module.report().descriptor;
  std::cout << "loaded " << descriptor.kind << " " << descriptor.name << " " << descriptor.version
            << " interface " << descriptor.interfaceVersion.toString() << "\n";
  for (const auto& option : module.factory()->configSchema().options)
    if (!dms::isRenamedOption(option))  // an earlier spelling, not an option
      std::cout << "option " << option.key << (option.secret ? " (secret)" : "") << "\n";
  return 0;
}
