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

# DMS_SANITIZER_COMPILE_FLAGS and DMS_SANITIZER_LINK_FLAGS (lists, empty without sanitizers)
# are also what code built outside this tree against our instrumented libraries needs: the
# installed-SDK consumer test passes them to its own build (tests/host-sdk/CMakeLists.txt).
set(DMS_SANITIZER_COMPILE_FLAGS "")
set(DMS_SANITIZER_LINK_FLAGS "")
if(NOT dms_sanitizers STREQUAL "")
  set(DMS_SANITIZER_COMPILE_FLAGS -fsanitize=${dms_sanitizers} -fno-omit-frame-pointer
                                  -fno-sanitize-recover=all)
  set(DMS_SANITIZER_LINK_FLAGS -fsanitize=${dms_sanitizers})
  add_compile_options(${DMS_SANITIZER_COMPILE_FLAGS})
  if(dms_sanitizers MATCHES "thread" AND dms_sanitizers MATCHES "address")
    message(FATAL_ERROR "DMS_SANITIZE: thread cannot be combined with address")
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's -Wmaybe-uninitialized is known to misfire on instrumented code (GCC documents that
    # sanitizers change its analysis); it fires inside libstdc++'s <regex> here.
    set(DMS_SANITIZER_WARNING_OPTIONS -Wno-maybe-uninitialized)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND NOT DMS_FUZZ)
    # Loadable modules are linked with --no-undefined; clang links the sanitizer runtime into
    # executables only unless told to use the shared runtime everywhere, which lives in clang's
    # own folder (not on the loader's path). A fuzz build makes only the fuzzers (target
    # "fuzzers"), executables with the static runtime that libFuzzer needs.
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-runtime-dir
                    OUTPUT_VARIABLE dms_clang_runtime_dir OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND DMS_SANITIZER_LINK_FLAGS -shared-libsan -Wl,-rpath,${dms_clang_runtime_dir})
  endif()
  add_link_options(${DMS_SANITIZER_LINK_FLAGS})
endif()
