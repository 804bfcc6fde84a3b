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

# The headers most files of the tree include, directly or through our own headers.
set(DMS_PRECOMPILED_COMMON_HEADERS
  <algorithm> <atomic> <chrono> <cstdint> <filesystem> <fstream> <functional> <map> <memory>
  <mutex> <optional> <set> <sstream> <string> <thread> <vector>
  <Poco/Exception.h> <Poco/JSON/Object.h> <Poco/JSON/Parser.h> <Poco/Net/HTTPClientSession.h>
  <Poco/Net/HTTPRequest.h> <Poco/Net/HTTPResponse.h> <Poco/URI.h>)
# Only for targets that link GoogleTest.
set(DMS_PRECOMPILED_TEST_HEADERS <gtest/gtest.h>)

# dms_links_gtest(<target> <out-var>): whether <target> links GoogleTest, directly or through
# the libraries it links.
function(dms_links_gtest target out)
  set(pending ${target})
  set(seen "")
  set(found FALSE)
  while(pending AND NOT found)
    list(POP_FRONT pending current)
    if(current IN_LIST seen OR NOT TARGET ${current})
      continue()
    endif()
    list(APPEND seen ${current})
    if(current MATCHES "^GTest::")
      set(found TRUE)
      break()
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
  set(${out} ${found} PARENT_SCOPE)
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
    dms_links_gtest(${target} with_gtest)
    if(with_gtest)
      target_precompile_headers(${target} PRIVATE ${DMS_PRECOMPILED_COMMON_HEADERS}
                                ${DMS_PRECOMPILED_TEST_HEADERS})
    else()
      target_precompile_headers(${target} PRIVATE ${DMS_PRECOMPILED_COMMON_HEADERS})
    endif()
  endforeach()
  get_property(subdirectories DIRECTORY ${directory} PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    dms_precompile_headers_below(${subdirectory})
  endforeach()
endfunction()
