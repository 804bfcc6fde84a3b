// Modules the loader must refuse, one per DMS_TEST_VARIANT (see ../CMakeLists.txt). The
// factories leave a marker file in $DMS_TEST_MARKER_DIR when called, so tests can prove the
// loader never called them.
#include <cstdlib>
#include <fstream>
#include <string>

#include "dms/ModuleInfo.h"
#include "dms/Plugin.h"

namespace {

[[maybe_unused]] void leaveMarker(const char* what) {
  if (const char* dir = std::getenv("DMS_TEST_MARKER_DIR"))
    std::ofstream(std::string(dir) + "/" + what + "-factory-called") << what << "\n";
}

}  // namespace

#define TEST_DESCRIPTOR(MAGIC, VERSION, NAME, TAG)                                             \
  extern "C" DMS_EXPORT const DmsModuleDescriptor* dms_module_descriptor() {                   \
    static const DmsModuleDescriptor descriptor{MAGIC, VERSION, "plugin", NAME, "9.9.9", TAG}; \
    return &descriptor;                                                                        \
  }

#define TEST_FACTORY(NAME)                                               \
  extern "C" DMS_EXPORT const dms::PluginFactory* dms_plugin_factory() { \
    leaveMarker(NAME);                                                   \
    return nullptr;                                                      \
  }

#if DMS_TEST_VARIANT == 1  // built against another interface version
TEST_DESCRIPTOR(dms::kModuleMagic, 99, "v99", DMS_COMPILER_TAG)
TEST_FACTORY("v99")
#elif DMS_TEST_VARIANT == 2  // built with another compiler
TEST_DESCRIPTOR(dms::kModuleMagic, dms::kInterfaceVersion, "badtag", "msvc-19/msvcprt")
TEST_FACTORY("badtag")
#elif DMS_TEST_VARIANT == 3  // a plain shared library: no descriptor at all
extern "C" DMS_EXPORT int dms_test_plain_function() {
  return 42;
}
#elif DMS_TEST_VARIANT == 4  // a descriptor symbol with the wrong magic
TEST_DESCRIPTOR(0x12345678u, dms::kInterfaceVersion, "badmagic", DMS_COMPILER_TAG)
TEST_FACTORY("badmagic")
#elif DMS_TEST_VARIANT == 5  // a good descriptor, but the factory returns null
TEST_DESCRIPTOR(dms::kModuleMagic, dms::kInterfaceVersion, "nullfactory", DMS_COMPILER_TAG)
TEST_FACTORY("nullfactory")
#else
#error "DMS_TEST_VARIANT must be 1..5"
#endif
