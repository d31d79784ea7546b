// The one test source compiled with the build's absolute paths (see build_paths.hpp).
#include "support/build_paths.hpp"

namespace flowgate::test::paths {

const char* const binary = FLOWGATE_BINARY;
const char* const pluginDir = FLOWGATE_PLUGIN_DIR;
const char* const testPluginDir = FLOWGATE_TEST_PLUGIN_DIR;
const char* const testDataDir = FLOWGATE_TEST_DATA_DIR;
const char* const sourceDir = FLOWGATE_SOURCE_DIR;
const char* const buildDir = FLOWGATE_BUILD_DIR;
const char* const cmake = FLOWGATE_CMAKE;

}  // namespace flowgate::test::paths
