#pragma once
/// The module descriptor: the first thing a loader reads from a module, before calling any
/// factory. A module exports exactly these C symbols (everything else is hidden):
///
///   dms_module_descriptor  -> const DmsModuleDescriptor*   (always)
///   dms_plugin_factory     -> const dms::PluginFactory*     (kind "plugin")
///   dms_connector_factory  -> const dms::ConnectorFactory*  (kind "connector")
///
/// Use DMS_DECLARE_PLUGIN / DMS_DECLARE_CONNECTOR in one source file of the module.

#include <cstdint>

namespace dms {

/// Bumped on any incompatible change of the interfaces in host-sdk/include/dms.
/// A host refuses modules built against another version.
inline constexpr std::uint32_t kInterfaceVersion = 1;

/// Marks a DMS module descriptor ("DMSM").
inline constexpr std::uint32_t kModuleMagic = 0x444D534D;

}  // namespace dms

#define DMS_STRINGIFY_INNER(x) #x
#define DMS_STRINGIFY(x) DMS_STRINGIFY_INNER(x)

/// Compiler and standard library the module was built with: the C++ interfaces are only
/// compatible between modules that agree on it.
#if defined(__clang__)
#define DMS_COMPILER_ID "clang-" DMS_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define DMS_COMPILER_ID "gcc-" DMS_STRINGIFY(__GNUC__)
#else
#define DMS_COMPILER_ID "unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define DMS_STDLIB_ID "libstdc++-cxx11abi" DMS_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define DMS_STDLIB_ID "libc++"
#else
#define DMS_STDLIB_ID "unknown"
#endif
#define DMS_COMPILER_TAG DMS_COMPILER_ID "/" DMS_STDLIB_ID

extern "C" {

/// Plain C layout so that it can be read whatever the module was built with.
struct DmsModuleDescriptor {
  std::uint32_t magic;             ///< dms::kModuleMagic
  std::uint32_t interfaceVersion;  ///< dms::kInterfaceVersion the module was built against
  const char* kind;                ///< "plugin" or "connector"
  const char* name;                ///< e.g. "ambita", "filesystem"
  const char* version;             ///< the module's own version, e.g. "0.1.0"
  const char* compilerTag;         ///< DMS_COMPILER_TAG
};
}

#define DMS_EXPORT __attribute__((visibility("default")))

/// Declares the descriptor and factory of a plugin module. FactoryType must be
/// default-constructible and derive from dms::PluginFactory.
#define DMS_DECLARE_PLUGIN(NAME, VERSION, FactoryType)                                       \
  extern "C" DMS_EXPORT const DmsModuleDescriptor* dms_module_descriptor() {                 \
    static const DmsModuleDescriptor descriptor{dms::kModuleMagic, dms::kInterfaceVersion,   \
                                                "plugin", NAME, VERSION, DMS_COMPILER_TAG}; \
    return &descriptor;                                                                      \
  }                                                                                          \
  extern "C" DMS_EXPORT const dms::PluginFactory* dms_plugin_factory() {                     \
    static const FactoryType factory;                                                        \
    return &factory;                                                                         \
  }

/// Declares the descriptor and factory of a connector module.
#define DMS_DECLARE_CONNECTOR(NAME, VERSION, FactoryType)                                       \
  extern "C" DMS_EXPORT const DmsModuleDescriptor* dms_module_descriptor() {                    \
    static const DmsModuleDescriptor descriptor{dms::kModuleMagic, dms::kInterfaceVersion,      \
                                                "connector", NAME, VERSION, DMS_COMPILER_TAG}; \
    return &descriptor;                                                                         \
  }                                                                                             \
  extern "C" DMS_EXPORT const dms::ConnectorFactory* dms_connector_factory() {                  \
    static const FactoryType factory;                                                           \
    return &factory;                                                                            \
  }
