// What a plugin source file includes, and the one macro that exports a component.
//
//   class MyComponent : public flowgate::ComponentBase { ... };
//   FLOWGATE_PLUGIN(MyComponent)
#pragma once

#include <boost/dll/alias.hpp>

#include "flowgate/abi.hpp"
#include "flowgate/component.hpp"
#include "flowgate/message.hpp"
#include "flowgate/resume.hpp"
#include "flowgate/step.hpp"

namespace flowgate {

// The plugin's only exported symbol (as the Boost.DLL alias `flowgate_plugin`). Plain
// data, so the engine can read `abiKey` before it makes any C++ call into the plugin.
// The layout of this struct never changes; new fields go behind a new SDK major version.
struct PluginDescriptor {
    const char* abiKey;
    const char* sdkVersion;
    // Makes the component; the engine owns it and destroys it with `delete`. Returns null
    // if construction threw.
    Component* (*createComponent)();
};

}  // namespace flowgate

#define FLOWGATE_PLUGIN(ComponentClass)                                                     \
    namespace {                                                                             \
    flowgate::Component* flowgate_create_component_() noexcept {                            \
        try {                                                                               \
            return new ComponentClass();                                                    \
        } catch (...) {                                                                     \
            return nullptr;                                                                 \
        }                                                                                   \
    }                                                                                       \
    const flowgate::PluginDescriptor flowgate_plugin_descriptor_{                           \
        FLOWGATE_ABI_KEY, FLOWGATE_SDK_VERSION, &flowgate_create_component_};                \
    }                                                                                       \
    BOOST_DLL_ALIAS(flowgate_plugin_descriptor_, flowgate_plugin)
