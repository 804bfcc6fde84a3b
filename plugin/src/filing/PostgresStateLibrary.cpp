#include "filing/PostgresStateLibrary.h"

#include <dlfcn.h>
#include <link.h>

#include <cstddef>
#include <cstring>

#include "filing/PostgresStateLibraryAbi.h"

namespace ambita::filing {
namespace {

/// dlopen's handle, given back at the end of scope. RTLD_NODELETE keeps the library mapped
/// after that (see the header: it is never unloaded), so this only keeps the count balanced.
class LoadedLibrary {
 public:
  explicit LoadedLibrary(void* handle) : handle_(handle) {}
  ~LoadedLibrary() {
    if (handle_) dlclose(handle_);
  }
  LoadedLibrary(const LoadedLibrary&) = delete;
  LoadedLibrary& operator=(const LoadedLibrary&) = delete;

  explicit operator bool() const { return handle_ != nullptr; }

  template <class Function>
  Function entry(const char* name) const {
    return reinterpret_cast<Function>(dlsym(handle_, name));
  }

 private:
  void* handle_;
};

std::string loaderError() {
  const char* why = dlerror();
  return why ? why : "unknown reason";
}

/// Where the main program is loaded (the first object the dynamic loader lists).
const void* mainProgramBase() {
  const void* base = nullptr;
  dl_iterate_phdr(
      [](dl_phdr_info* object, std::size_t, void* found) {
        *static_cast<const void**>(found) = reinterpret_cast<const void*>(object->dlpi_addr);
        return 1;  // the first one is the main program
      },
      &base);
  return base;
}

}  // namespace

std::filesystem::path postgresStateLibraryPath() {
  // The file this function's code was loaded from: the plugin module (dms-host loads it by an
  // absolute path), or a test program linking the plugin's code, whose name the loader keeps as
  // it was typed (maybe relative): /proc/self/exe names that one absolutely.
  Dl_info info{};
  std::filesystem::path file;
  if (dladdr(reinterpret_cast<const void*>(&postgresStateLibraryPath), &info) != 0 &&
      info.dli_fname != nullptr && info.dli_fbase != mainProgramBase())
    file = info.dli_fname;
  else
    file = std::filesystem::read_symlink("/proc/self/exe");
  return std::filesystem::absolute(file).parent_path() / kPostgresStateLibraryFolder /
         kPostgresStateLibraryFile;
}

OpenedStateStore openPostgresStateThrough(const std::filesystem::path& library,
                                          const std::string& url) {
  const std::string name = library.string();
  dlerror();
  LoadedLibrary loaded(dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
  if (!loaded)
    return dms::fail(dms::ErrorCode::Unavailable,
                     "state.url names PostgreSQL, whose state store is in " + name +
                         ", which cannot be loaded: " + loaderError() +
                         " (it belongs beside the plugin, from the same build)");
  const auto abi = loaded.entry<PostgresStateAbiFunction>("dms_ambita_postgres_state_abi");
  const auto open = loaded.entry<PostgresStateOpenFunction>("dms_ambita_postgres_state_open");
  if (!abi || !open)
    return dms::fail(dms::ErrorCode::NotSupported,
                     name +
                         " is not the PostgreSQL state library of this plugin (it lacks "
                         "dms_ambita_postgres_state_abi or dms_ambita_postgres_state_open)");
  // Checked before anything else of the library runs: C++ types cross the boundary.
  const char* stamp = abi();
  if (std::strcmp(stamp, kPostgresStateLibraryAbi) != 0)
    return dms::fail(dms::ErrorCode::NotSupported,
                     name + " is from another build (ABI stamp " + stamp + ", this plugin's is " +
                         kPostgresStateLibraryAbi + "): install the plugin and its folder " +
                         kPostgresStateLibraryFolder + " from the same build");
  OpenedStateStore result = dms::fail(dms::ErrorCode::Internal, name + " returned no store");
  open(url, result);
  return result;
}

}  // namespace ambita::filing
