// The ABI key: everything that must match between the engine and a plugin for C++
// objects to cross the boundary safely. The engine compares keys as plain strings
// before it makes any C++ call into a plugin.
#pragma once

#include <nlohmann/json.hpp>

// Overridable only so that tests can build a plugin "for another SDK" and see it refused.
#ifndef FLOWGATE_SDK_VERSION_MAJOR
#define FLOWGATE_SDK_VERSION_MAJOR 2
#define FLOWGATE_SDK_VERSION_MINOR 2
#endif

#define FLOWGATE_STR_(x) #x
#define FLOWGATE_STR(x) FLOWGATE_STR_(x)

#define FLOWGATE_SDK_VERSION \
    FLOWGATE_STR(FLOWGATE_SDK_VERSION_MAJOR) "." FLOWGATE_STR(FLOWGATE_SDK_VERSION_MINOR)

#if defined(__clang__)
#define FLOWGATE_COMPILER "clang-" FLOWGATE_STR(__clang_major__)
#elif defined(__GNUC__)
#define FLOWGATE_COMPILER "gcc-" FLOWGATE_STR(__GNUC__)
#else
#error "Flowgate plugins are built with GCC or Clang"
#endif

#if defined(JSON_DIAGNOSTICS) && JSON_DIAGNOSTICS
#define FLOWGATE_JSON_DIAG "1"
#else
#define FLOWGATE_JSON_DIAG "0"
#endif

// The key the engine compares: a plugin loads only if its key equals the engine's.
#ifndef FLOWGATE_ABI_KEY
#define FLOWGATE_ABI_KEY                                                               \
    "sdk=" FLOWGATE_SDK_VERSION                                                         \
    ";nlohmann=" FLOWGATE_STR(NLOHMANN_JSON_VERSION_MAJOR) "." FLOWGATE_STR(           \
        NLOHMANN_JSON_VERSION_MINOR) "." FLOWGATE_STR(NLOHMANN_JSON_VERSION_PATCH)     \
    ";json_diagnostics=" FLOWGATE_JSON_DIAG                                             \
    ";compiler=" FLOWGATE_COMPILER                                                      \
    ";libstdc++=" FLOWGATE_STR(_GLIBCXX_RELEASE)                                        \
    ";cxx11abi=" FLOWGATE_STR(_GLIBCXX_USE_CXX11_ABI)
#endif
