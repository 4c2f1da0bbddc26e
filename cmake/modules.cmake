# modules.cmake: one library per module of src/, each seeing and linking only
# the modules it names, so that the graph stays one-way (README "Layout").
#
#   callin_module(NAME
#     HEADERS  h...     the module's public headers, include/callin/<h>.h
#     PUBLIC   m...     modules its public headers need (users see them too)
#     PRIVATE  m...     modules only its sources use
#     EXTERNAL t...     imported targets of other projects (PUBLIC when a
#                       public header includes them: EXTERNAL_PUBLIC))
#
# Each module gets:
#   - callin_<NAME>: the static library programs and tests link;
#   - an include folder in the build tree holding links to its own headers
#     only, so a source that includes a header of a module it does not name
#     fails to compile;
#   - callin_<NAME>_check (unless CALLIN_FUZZ): the same objects linked as a
#     shared library with -Wl,--no-undefined against the checks of the
#     modules it names (and of what their public headers bring: PUBLIC
#     modules and EXTERNAL_PUBLIC libraries) and nothing else, so a call
#     into any other module (a back-edge, or a dependency not declared)
#     fails to link.  The checks are part of the default build.

set(CALLIN_MODINC ${CMAKE_BINARY_DIR}/modinc)

function(callin_module name)
  cmake_parse_arguments(M "" "" "HEADERS;PUBLIC;PRIVATE;EXTERNAL;EXTERNAL_PUBLIC" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.c)
  set(inc ${CALLIN_MODINC}/${name})
  file(REMOVE_RECURSE ${inc})
  file(MAKE_DIRECTORY ${inc}/callin)
  foreach(h ${M_HEADERS})
    if(NOT EXISTS ${CMAKE_SOURCE_DIR}/include/callin/${h}.h)
      message(FATAL_ERROR "module ${name}: no header include/callin/${h}.h")
    endif()
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/callin/${h}.h
      ${inc}/callin/${h}.h SYMBOLIC)
    set_property(GLOBAL APPEND PROPERTY CALLIN_OWNED_HEADERS ${h})
  endforeach()

  set(pub_o "")
  set(priv_o "")
  set(pub "")
  set(priv "")
  set(checks "")
  set(pub_checks "")
  foreach(m ${M_PUBLIC})
    list(APPEND pub_o callin_${m}_o)
    list(APPEND pub callin_${m})
    list(APPEND pub_checks callin_${m}_check)
  endforeach()
  foreach(m ${M_PRIVATE})
    list(APPEND priv_o callin_${m}_o)
    list(APPEND priv callin_${m})
    list(APPEND checks callin_${m}_check)
  endforeach()

  # The objects, compiled once, with the include folders of named modules.
  add_library(callin_${name}_o OBJECT ${srcs})
  set_target_properties(callin_${name}_o PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(callin_${name}_o PUBLIC ${inc})
  target_link_libraries(callin_${name}_o PUBLIC ${pub_o} ${M_EXTERNAL_PUBLIC}
    PRIVATE ${priv_o} ${M_EXTERNAL})

  add_library(callin_${name} STATIC $<TARGET_OBJECTS:callin_${name}_o>)
  target_include_directories(callin_${name} PUBLIC ${inc})
  target_link_libraries(callin_${name} PUBLIC ${pub} ${M_EXTERNAL_PUBLIC}
    PRIVATE ${priv} ${M_EXTERNAL})

  if(NOT CALLIN_FUZZ)
    add_library(callin_${name}_check SHARED $<TARGET_OBJECTS:callin_${name}_o>)
    target_link_libraries(callin_${name}_check
      PUBLIC ${pub_checks} ${M_EXTERNAL_PUBLIC} PRIVATE ${checks} ${M_EXTERNAL})
    target_link_options(callin_${name}_check PRIVATE -Wl,--no-undefined)
    set_target_properties(callin_${name}_check PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/modcheck)
  endif()
  set_property(GLOBAL APPEND PROPERTY CALLIN_MODULES callin_${name})
endfunction()

# After every module: each header under include/callin/ belongs to exactly
# one module.
function(callin_modules_done)
  get_property(owned GLOBAL PROPERTY CALLIN_OWNED_HEADERS)
  file(GLOB all RELATIVE ${CMAKE_SOURCE_DIR}/include/callin
    CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/callin/*.h)
  foreach(f ${all})
    string(REGEX REPLACE "\\.h$" "" h ${f})
    list(FIND owned ${h} i)
    if(i EQUAL -1)
      message(FATAL_ERROR "include/callin/${f} belongs to no module (cmake/modules.cmake)")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES owned)
endfunction()
