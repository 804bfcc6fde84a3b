// Libraries the plugin must refuse in place of the PostgreSQL state library
// (plugin/src/filing/PostgresStateLibrary.h), one per variant (tests/filing/CMakeLists.txt).
#include <cstdlib>
#include <string>

#if defined(DMS_TEST_STALE_LIBRARY)
// From "another build": the entry points are there, the ABI stamp is not this build's.
extern "C" __attribute__((visibility("default"))) const char*
dms_ambita_postgres_state_abi() noexcept {
  return "0123456789abcdef";
}
// Must never be called: the stamp is checked first (crossing a C++ boundary of another build).
extern "C" __attribute__((visibility("default"))) void dms_ambita_postgres_state_open(
    const std::string&, void*) noexcept {
  std::abort();
}
#elif defined(DMS_TEST_FOREIGN_LIBRARY)
// Some other library that happens to sit where the state library should.
extern "C" __attribute__((visibility("default"))) int dms_test_something_else() {
  return 1;
}
#endif
