# The PostgreSQL state store as a library of its own, which the plugin loads
# (src/filing/PostgresStateLibrary.cpp) only when state.url names PostgreSQL, so that libpq and
# the ~40 libraries it pulls in (Kerberos, LDAP, GnuTLS, SASL...) are not loaded, relocated and
# initialised at every dms-host start with SQLite, the default.
#   ambita_state_postgres        (static) src/filing/PostgresStateStore*.cpp: tests link it
#   dms_ambita_state_postgresql  <modules>/dms-plugin-ambita.d/state-postgresql.so: the same code
#                                and the two entry points of src/filing/PostgresStateEntry.cpp
# The sub-folder: dms-host scans only the *.so files directly in the modules folder, so the
# library is never taken for a module; and it sits beside the plugin's own file, where the
# plugin finds it by its own path (install: packaging/CMakeLists.txt).
set(AMBITA_POSTGRES_STATE_FOLDER "dms-plugin-ambita.d" CACHE INTERNAL
    "the PostgreSQL state library's folder beside the plugin")
set(AMBITA_POSTGRES_STATE_FILE "state-postgresql.so")

# The ABI stamp both sides compile in and the plugin compares at load: a library from another
# build is refused before anything else of it is called. It hashes what crosses the boundary
# (the StateStore interface and the types in it, the SDK's Result/Error) and how the code is
# compiled; CMake runs again when one of those headers changes.
set(stamp_headers StateStore.h Outbox.h StateMigrations.h)
list(TRANSFORM stamp_headers PREPEND "${CMAKE_CURRENT_SOURCE_DIR}/src/filing/")
file(GLOB sdk_headers "${PROJECT_SOURCE_DIR}/host-sdk/include/dms/*.h")
set(stamp_text "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} ${CMAKE_BUILD_TYPE}"
               " ${CMAKE_CXX_FLAGS} ${DMS_SANITIZER_COMPILE_FLAGS}")
foreach(header ${stamp_headers} ${sdk_headers})
  file(SHA256 "${header}" header_hash)
  string(APPEND stamp_text " ${header_hash}")
endforeach()
string(SHA256 stamp_hash "${stamp_text}")
string(SUBSTRING "${stamp_hash}" 0 16 AMBITA_POSTGRES_STATE_ABI)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${stamp_headers} ${sdk_headers})
configure_file(src/filing/PostgresStateLibraryAbi.h.in
               "${CMAKE_CURRENT_BINARY_DIR}/include/filing/PostgresStateLibraryAbi.h" @ONLY)
# Only the two files that need it see the generated header (and a changed stamp recompiles
# only them).
set_source_files_properties(src/filing/PostgresStateLibrary.cpp src/filing/PostgresStateEntry.cpp
  PROPERTIES INCLUDE_DIRECTORIES "${CMAKE_CURRENT_BINARY_DIR}/include")

list(FILTER AMBITA_POSTGRES_STATE_SOURCES EXCLUDE REGEX "PostgresStateEntry\\.cpp$")
list(FILTER AMBITA_POSTGRES_STATE_SOURCES EXCLUDE REGEX "PostgresStateLibrary\\.cpp$")
add_library(ambita_state_postgres STATIC ${AMBITA_POSTGRES_STATE_SOURCES})
target_link_libraries(ambita_state_postgres PUBLIC ambita_filing Poco::DataPostgreSQL)
dms_strict_warnings(ambita_state_postgres)

# The plugin's side: finding, checking and calling the library (in ambita_filing, no libpq).
target_sources(ambita_filing PRIVATE src/filing/PostgresStateLibrary.cpp)

# SHARED, not MODULE: DmsHostSdk::interfaces gives every MODULE the modules' version script;
# this one has its own (only the two entry points are exported).
add_library(dms_ambita_state_postgresql SHARED src/filing/PostgresStateEntry.cpp)
set_target_properties(dms_ambita_state_postgresql PROPERTIES
  PREFIX "" OUTPUT_NAME state-postgresql SUFFIX ".so" NO_SONAME ON
  LIBRARY_OUTPUT_DIRECTORY "${DMS_MODULE_DIR}/${AMBITA_POSTGRES_STATE_FOLDER}")
target_link_libraries(dms_ambita_state_postgresql PRIVATE ambita_state_postgres)
set(state_library_map "${CMAKE_CURRENT_SOURCE_DIR}/src/filing/PostgresStateLibrary.map")
target_link_options(dms_ambita_state_postgresql PRIVATE -Wl,--no-undefined
                    "LINKER:--version-script=${state_library_map}")
set_property(TARGET dms_ambita_state_postgresql APPEND PROPERTY LINK_DEPENDS "${state_library_map}")
dms_strict_warnings(dms_ambita_state_postgresql)
