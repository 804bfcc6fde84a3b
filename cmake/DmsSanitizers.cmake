# Sanitizer and fuzzing builds, each in its own build folder (tests/run.sh configures them):
#
#   -DDMS_SANITIZE=address,undefined   every target of ours with ASan + UBSan (whole ctest suite)
#   -DDMS_SANITIZE=thread              every target with TSan (engine, push and API tests)
#   -DDMS_FUZZ=ON                      libFuzzer targets in tests/fuzz/ (needs clang: configure
#                                      with -DCMAKE_CXX_COMPILER=clang++); the libraries they
#                                      link are built with -fsanitize=fuzzer-no-link,address,undefined
#
# The flags go to every target defined after this file is included (our code, tests, modules);
# system libraries (Poco, GoogleTest, Boost) stay uninstrumented, which the sanitizers allow.
# UBSan does not recover: a report aborts the test, so CI fails on it.
set(DMS_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined or thread")
option(DMS_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

set(dms_sanitizers "${DMS_SANITIZE}")
if(DMS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DMS_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(dms_sanitizers STREQUAL "")
    set(dms_sanitizers "address,undefined")
  endif()
  # The fuzzer's coverage hooks in every library; -fsanitize=fuzzer (with main) on the targets.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(NOT dms_sanitizers STREQUAL "")
  add_compile_options(-fsanitize=${dms_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${dms_sanitizers})
  if(dms_sanitizers MATCHES "thread" AND dms_sanitizers MATCHES "address")
    message(FATAL_ERROR "DMS_SANITIZE: thread cannot be combined with address")
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Loadable modules are linked with --no-undefined; clang links the sanitizer runtime into
    # executables only unless told to use the shared runtime everywhere.
    add_link_options(-shared-libsan)
  endif()
endif()
