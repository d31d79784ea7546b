// Where this build put the engine, its plugins and the test data.
//
// Only build_paths.cpp is compiled with these absolute paths. Every other test file then
// compiles to the same object in every checkout, so ccache serves a new worktree's tests
// from the cache instead of recompiling all of them for one changed path.
#pragma once

namespace flowgate::test::paths {

// Constant-initialized (a string literal's address): safe to read from another file's
// static initializers.
extern const char* const binary;         // the flowgate executable
extern const char* const pluginDir;      // the bundled plugins
extern const char* const testPluginDir;  // the test-only plugins (tests/fixtures)
extern const char* const testDataDir;    // tests/data
extern const char* const sourceDir;      // the source tree's root
extern const char* const buildDir;       // the build tree's root
extern const char* const cmake;          // the cmake that configured this build

}  // namespace flowgate::test::paths
