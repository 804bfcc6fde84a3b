# Precompiled headers for every C++ target of the tree (option DMS_PRECOMPILED_HEADERS).
#
# Why: most of a translation unit's compile time here is parsing the same standard, Poco and
# GoogleTest headers again (a test file: ~12 s of CPU, ~2.7 s less with them precompiled).
# tests/run.sh turns this on where no ccache serves the build (a fresh CI machine, which
# builds the tree three times); with ccache it stays off, since ccache does not cache a
# compile that reads a precompiled header unless configured to, and cache hits win there.
#
# The headers are only added, never required: every file still includes what it uses, and a
# build without the option (every developer's) proves it.

# The headers most files of the tree include, directly or through our own headers. A library's
# headers go only to targets that link it: their inline code (virtual destructors, say) needs
# its symbols, and modules link with --no-undefined.
set(DMS_PRECOMPILED_STANDARD_HEADERS
  <algorithm> <atomic> <chrono> <cstdint> <filesystem> <fstream> <functional> <map> <memory>
  <mutex> <optional> <set> <sstream> <string> <thread> <vector>)
set(DMS_PRECOMPILED_HEADERS_OF_Poco::Foundation <Poco/Exception.h> <Poco/URI.h>)
set(DMS_PRECOMPILED_HEADERS_OF_Poco::JSON <Poco/JSON/Object.h> <Poco/JSON/Parser.h>)
set(DMS_PRECOMPILED_HEADERS_OF_Poco::Net <Poco/Net/HTTPClientSession.h> <Poco/Net/HTTPRequest.h>
  <Poco/Net/HTTPResponse.h>)
set(DMS_PRECOMPILED_HEADERS_OF_GTest::gtest <gtest/gtest.h>)
set(DMS_PRECOMPILED_LIBRARIES Poco::Foundation Poco::JSON Poco::Net GTest::gtest)

# dms_linked_targets(<target> <out-var>): every target <target> links, directly or through the
# libraries it links.
function(dms_linked_targets target out)
  set(pending ${target})
  set(seen "")
  while(pending)
    list(POP_FRONT pending current)
    if(current IN_LIST seen OR NOT TARGET ${current})
      continue()
    endif()
    list(APPEND seen ${current})
    get_target_property(aliased ${current} ALIASED_TARGET)
    if(aliased)
      list(APPEND pending ${aliased})
    endif()
    get_target_property(type ${current} TYPE)
    set(links "")
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${current} LINK_LIBRARIES)
      if(direct)
        list(APPEND links ${direct})
      endif()
    endif()
    get_target_property(interface ${current} INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND links ${interface})
    endif()
    foreach(link IN LISTS links)
      # Generator expressions ($<LINK_ONLY:x> and the like) name targets too.
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
      if(TARGET ${link})
        list(APPEND pending ${link})
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# dms_precompile_headers_below(<directory>): adds the headers to every C++ target defined in
# <directory> and the directories below it.
function(dms_precompile_headers_below directory)
  get_property(targets DIRECTORY ${directory} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
      continue()
    endif()
    get_target_property(sources ${target} SOURCES)
    if(NOT sources MATCHES "\\.cpp")
      continue()
    endif()
    dms_linked_targets(${target} linked)
    set(headers ${DMS_PRECOMPILED_STANDARD_HEADERS})
    foreach(library IN LISTS DMS_PRECOMPILED_LIBRARIES)
      if(library IN_LIST linked)
        list(APPEND headers ${DMS_PRECOMPILED_HEADERS_OF_${library}})
      endif()
    endforeach()
    target_precompile_headers(${target} PRIVATE ${headers})
    # GCC 12 reports its known false positives inside libstdc++'s string code (bugs 105329,
    # 105651) once those headers come from a precompiled header, where it no longer treats
    # them as system headers; builds without the option keep these warnings.
    target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-restrict -Wno-stringop-overflow)
  endforeach()
  get_property(subdirectories DIRECTORY ${directory} PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    dms_precompile_headers_below(${subdirectory})
  endforeach()
endfunction()
