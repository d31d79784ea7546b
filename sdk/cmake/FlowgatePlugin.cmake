# flowgate_add_plugin(<target> SOURCES <files...> [LIBRARIES <targets...>])
#
# Builds a component plugin (lib<target>.so, e.g. target flowgate-jq): a shared library
# that exports only the `flowgate_plugin` alias. Used both inside this repository and by
# plugins built out of tree against an installed SDK (find_package(FlowgateSDK)), so the
# bundled plugins are built exactly like outside ones.
#
#   SOURCES    the plugin's source files.
#   LIBRARIES  what the plugin links besides FlowgateSDK::sdk (linked PRIVATE), e.g.
#              FlowgateSDK::outbound_http. Static libraries only, built
#              position-independent, with hidden visibility and (GCC) -fno-gnu-unique like
#              the plugin itself: a plugin carries its own copy of each, and shares nothing
#              but the SDK headers with the engine. A shared library is possible but must
#              then be installed where the engine's dynamic loader finds it.
#
# The plugin gets hidden visibility (only the entry point is exported) and, with GCC,
# -fno-gnu-unique (STB_GNU_UNIQUE symbols make a library impossible to unload).
#
# Variables read, both optional:
#   FLOWGATE_PLUGIN_OUTPUT_DIR   where the built library goes (default: CMake's own)
#   FLOWGATE_PLUGIN_INSTALL_DIR  if set, `cmake --install` puts the library there
# flowgate_build_like_plugin(<target>): hidden visibility, position-independent code and,
# with GCC, -fno-gnu-unique (STB_GNU_UNIQUE symbols make a library impossible to unload).
# For a plugin and for every static library linked into one.
function(flowgate_build_like_plugin target)
  set_target_properties(${target} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -fno-gnu-unique)
  endif()
endfunction()

function(flowgate_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE FlowgateSDK::sdk ${ARG_LIBRARIES})
  flowgate_build_like_plugin(${name})
  if(DEFINED FLOWGATE_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${FLOWGATE_PLUGIN_OUTPUT_DIR}")
  endif()
  if(FLOWGATE_PLUGIN_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION "${FLOWGATE_PLUGIN_INSTALL_DIR}" COMPONENT plugins)
  endif()
endfunction()
