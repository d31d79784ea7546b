# flowgate_add_plugin(<target> SOURCES <files...> [LIBRARIES <targets...>])
#
# Builds a component plugin (lib<target>.so, e.g. target flowgate-jq): a shared library that exports only the `flowgate_plugin`
# alias. Used both inside this repository and by plugins built out of tree against an
# installed SDK (find_package(FlowgateSDK)), so the bundled plugins are built exactly
# like outside ones.
#
# Variables read, both optional:
#   FLOWGATE_PLUGIN_OUTPUT_DIR   where the built library goes (default: CMake's own)
#   FLOWGATE_PLUGIN_INSTALL_DIR  if set, `cmake --install` puts the library there
function(flowgate_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE Flowgate::sdk ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # g++ marks some symbols STB_GNU_UNIQUE, which silently makes a library impossible to
  # unload; plugins must not have them.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${name} PRIVATE -fno-gnu-unique)
  endif()
  if(DEFINED FLOWGATE_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${FLOWGATE_PLUGIN_OUTPUT_DIR}")
  endif()
  if(FLOWGATE_PLUGIN_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION "${FLOWGATE_PLUGIN_INSTALL_DIR}" COMPONENT plugins)
  endif()
endfunction()
