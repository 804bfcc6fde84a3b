#pragma once
/// The module descriptor: the first thing a loader reads from a module, before calling any
/// factory. A module exports exactly these C symbols (everything else is hidden):
///
///   dms_module_descriptor  -> const DmsModuleDescriptor*   (always)
///   dms_plugin_factory     -> const dms::PluginFactory*     (kind "plugin")
///   dms_connector_factory  -> const dms::ConnectorFactory*  (kind "connector")
///
/// Use DMS_DECLARE_PLUGIN / DMS_DECLARE_CONNECTOR in one source file of the module: by
/// convention src/ModuleEntry.cpp, which holds nothing else.

#include <cstdint>
#include <string>

#include "dms/Version.h"

namespace dms {

/// The version of the interfaces in host-sdk/include/dms, major.minor.
///
/// - minor: a change that modules built for an older minor still work with. Only these:
///   a virtual method appended at the END of an interface, with a default implementation
///   (old modules' objects do not have it: the loader shields them, see ModuleLoader.h); a
///   member appended at the end of a struct the host fills (HostServices, ConnectorContext,
///   HttpRequest); a new header.
/// - major: everything else (a changed signature, a removed or reordered method, a field added
///   to a struct a module fills or returns, such as Capabilities or EntryInfo).
///
/// A host loads a module with the same major and a minor no newer than its own; it refuses
/// another major, and a newer minor, naming both versions.
struct InterfaceVersion {
  std::uint16_t major = 0;
  std::uint16_t minor = 0;

  /// As written in DmsModuleDescriptor::interfaceVersion: major in the low 16 bits, minor in
  /// the high 16 bits. A 1.0 module therefore writes 1, as every module did before the
  /// interface had a minor, and a host from that time refuses any newer minor as "another
  /// version" (it compared the whole field with 1).
  constexpr std::uint32_t encoded() const {
    return std::uint32_t{major} | (std::uint32_t{minor} << 16);
  }
  static constexpr InterfaceVersion decode(std::uint32_t field) {
    return {static_cast<std::uint16_t>(field & 0xFFFFu), static_cast<std::uint16_t>(field >> 16)};
  }
  /// "1.1"
  std::string toString() const { return std::to_string(major) + "." + std::to_string(minor); }

  /// May a host of this version load a module built for `module`?
  constexpr bool accepts(InterfaceVersion module) const {
    return module.major == major && module.minor <= minor;
  }

  friend constexpr bool operator==(InterfaceVersion, InterfaceVersion) = default;
};

/// This SDK's interface version. 1.1 added DocumentTarget::cancel()/resume().
inline constexpr InterfaceVersion kInterfaceVersion{1, 1};

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
  std::uint32_t magic;  ///< dms::kModuleMagic
  /// dms::kInterfaceVersion the module was built for, InterfaceVersion::encoded(). Only magic
  /// and this field keep their place in every version; a loader reads the rest only after
  /// accepting the version.
  std::uint32_t interfaceVersion;
  const char* kind;         ///< "plugin" or "connector"
  const char* name;         ///< e.g. "ambita", "filesystem"
  const char* version;      ///< the module's own version, e.g. "0.1.0"
  const char* compilerTag;  ///< DMS_COMPILER_TAG
};
}

#define DMS_EXPORT __attribute__((visibility("default")))

/// Declares the descriptor and factory of a plugin module. FactoryType must be
/// default-constructible and derive from dms::PluginFactory. VERSION is the module's own
/// version (modules of this tree use DMS_RELEASE_VERSION).
#define DMS_DECLARE_PLUGIN(NAME, VERSION, FactoryType)                              \
  DMS_MODULE_DESCRIPTOR_("plugin", NAME, VERSION, dms::kInterfaceVersion.encoded()) \
  DMS_MODULE_FACTORY_(dms::PluginFactory, dms_plugin_factory, FactoryType)

/// Declares the descriptor and factory of a connector module.
#define DMS_DECLARE_CONNECTOR(NAME, VERSION, FactoryType)                              \
  DMS_MODULE_DESCRIPTOR_("connector", NAME, VERSION, dms::kInterfaceVersion.encoded()) \
  DMS_MODULE_FACTORY_(dms::ConnectorFactory, dms_connector_factory, FactoryType)

/// The two halves of the macros above. Modules use DMS_DECLARE_*; the SDK's own tests use
/// these to build modules that declare another interface version.
#define DMS_MODULE_DESCRIPTOR_(KIND, NAME, VERSION, ENCODED_INTERFACE_VERSION)                \
  extern "C" DMS_EXPORT const DmsModuleDescriptor* dms_module_descriptor() {                  \
    static const DmsModuleDescriptor descriptor{                                              \
        dms::kModuleMagic, ENCODED_INTERFACE_VERSION, KIND, NAME, VERSION, DMS_COMPILER_TAG}; \
    return &descriptor;                                                                       \
  }
#define DMS_MODULE_FACTORY_(BaseType, ENTRY, FactoryType) \
  extern "C" DMS_EXPORT const BaseType* ENTRY() {         \
    static const FactoryType factory;                     \
    return &factory;                                      \
  }
