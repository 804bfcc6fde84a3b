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

constexpr dms::InterfaceVersion kHost = dms::kInterfaceVersion;

#if DMS_TEST_VARIANT == 1  // built for a later interface major (99.0)
TEST_DESCRIPTOR(dms::kModuleMagic, 99, "v99", DMS_COMPILER_TAG)
TEST_FACTORY("v99")
#elif DMS_TEST_VARIANT == 2  // built with another compiler
TEST_DESCRIPTOR(dms::kModuleMagic, kHost.encoded(), "badtag", "msvc-19/msvcprt")
TEST_FACTORY("badtag")
#elif DMS_TEST_VARIANT == 3  // a plain shared library: no descriptor at all
extern "C" DMS_EXPORT int dms_test_plain_function() {
  return 42;
}
#elif DMS_TEST_VARIANT == 4  // a descriptor symbol with the wrong magic
TEST_DESCRIPTOR(0x12345678u, kHost.encoded(), "badmagic", DMS_COMPILER_TAG)
TEST_FACTORY("badmagic")
#elif DMS_TEST_VARIANT == 5  // a good descriptor, but the factory returns null
TEST_DESCRIPTOR(dms::kModuleMagic, kHost.encoded(), "nullfactory", DMS_COMPILER_TAG)
TEST_FACTORY("nullfactory")
#elif DMS_TEST_VARIANT == 6  // the host's major, but a newer minor than the host's
TEST_DESCRIPTOR(
    dms::kModuleMagic,
    (dms::InterfaceVersion{kHost.major, static_cast<std::uint16_t>(kHost.minor + 1)}).encoded(),
    "newerminor", DMS_COMPILER_TAG)
TEST_FACTORY("newerminor")
#elif DMS_TEST_VARIANT == 7  // an earlier major (with a minor above the host's, which must not
                             // matter)
TEST_DESCRIPTOR(dms::kModuleMagic,
                (dms::InterfaceVersion{static_cast<std::uint16_t>(kHost.major - 1), 7}).encoded(),
                "oldmajor", DMS_COMPILER_TAG)
TEST_FACTORY("oldmajor")
#else
#error "DMS_TEST_VARIANT must be 1..7"
#endif
