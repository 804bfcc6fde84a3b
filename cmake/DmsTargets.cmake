# Helpers shared by every component's CMakeLists.txt.

# Our own code builds with strict warnings; third-party headers come in as SYSTEM.
# DMS_SANITIZER_WARNING_OPTIONS (cmake/DmsSanitizers.cmake) switches off what a sanitizer
# build alone warns about falsely.
function(dms_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror ${DMS_SANITIZER_WARNING_OPTIONS})
endfunction()

# dms_add_module(<target> <output-name> SOURCES ...): a loadable module in build/modules/,
# named <output-name>.so (no "lib" prefix), exporting only its DMS entry points.
function(dms_add_module target output_name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${output_name}
    LIBRARY_OUTPUT_DIRECTORY "${DMS_MODULE_DIR}")
  target_link_libraries(${target} PRIVATE DmsHostSdk::interfaces)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  dms_strict_warnings(${target})
endfunction()
