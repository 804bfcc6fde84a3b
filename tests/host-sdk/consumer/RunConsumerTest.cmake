# Installs the DmsHostSdk component of the build tree into a fresh prefix, then configures,
# builds and runs the consumer against that prefix alone. Run with cmake -P (see ../CMakeLists.txt).
foreach(var DMS_BUILD_DIR DMS_CONSUMER_SOURCE DMS_WORK_DIR DMS_TEST_MODULE DMS_GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

set(prefix "${DMS_WORK_DIR}/prefix")
set(build "${DMS_WORK_DIR}/build")
file(REMOVE_RECURSE "${DMS_WORK_DIR}")
file(MAKE_DIRECTORY "${DMS_WORK_DIR}")

function(step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

step(install ${CMAKE_COMMAND} --install "${DMS_BUILD_DIR}" --component DmsHostSdk --prefix "${prefix}")
foreach(installed include/dms/ModuleLoader.h include/dms/Plugin.h)
  if(NOT EXISTS "${prefix}/${installed}")
    message(FATAL_ERROR "install did not put ${installed} into ${prefix}")
  endif()
endforeach()

# Only the install prefix: the consumer cannot see the source or build tree. The sanitizer
# flags of the build tree (empty unless it is a sanitizer build) go to every compile and link.
step(configure ${CMAKE_COMMAND} -S "${DMS_CONSUMER_SOURCE}" -B "${build}" -G "${DMS_GENERATOR}"
     -DCMAKE_CXX_COMPILER=${DMS_CXX_COMPILER} "-DCMAKE_PREFIX_PATH=${prefix}"
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
     "-DCMAKE_CXX_FLAGS=${DMS_CONSUMER_COMPILE_FLAGS}"
     "-DCMAKE_EXE_LINKER_FLAGS=${DMS_CONSUMER_LINK_FLAGS}"
     "-DCMAKE_MODULE_LINKER_FLAGS=${DMS_CONSUMER_LINK_FLAGS}"
     "-DCMAKE_SHARED_LINKER_FLAGS=${DMS_CONSUMER_LINK_FLAGS}")
step(build ${CMAKE_COMMAND} --build "${build}")
step(run "${build}/consumer-host" "${DMS_TEST_MODULE}")
if(NOT step_output MATCHES "loaded plugin testplugin 1.2.3 interface [0-9]+" OR
   NOT step_output MATCHES "option token \\(secret\\)")
  message(FATAL_ERROR "unexpected consumer output:\n${step_output}")
endif()
message(STATUS "consumer output:\n${step_output}")

# The module built against the installed package loads in the installed loader and exports
# nothing but the DMS entry points.
step(run-module "${build}/consumer-host" "${build}/dms-plugin-consumer.so")
if(NOT step_output MATCHES "loaded plugin consumer 0.0.1" OR NOT step_output MATCHES "option answer")
  message(FATAL_ERROR "unexpected consumer output for its own module:\n${step_output}")
endif()
message(STATUS "consumer output for its own module:\n${step_output}")
if(DMS_NM)
  step(nm ${DMS_NM} -D --defined-only "${build}/dms-plugin-consumer.so")
  string(REGEX REPLACE "[^\n]* [A-Za-z] dms_(module_descriptor|plugin_factory)\n" "" rest "${step_output}")
  if(NOT rest STREQUAL "")
    message(FATAL_ERROR "the consumer module exports more than its entry points:\n${rest}")
  endif()
endif()
file(REMOVE_RECURSE "${DMS_WORK_DIR}")
