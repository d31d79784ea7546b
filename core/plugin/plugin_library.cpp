#include "plugin/plugin_library.hpp"

#include <cstring>

#include <boost/dll/shared_library.hpp>

#include "flowgate/plugin.hpp"

namespace flowgate::plugin {

namespace dll = boost::dll;

const char* engineAbiKey() { return FLOWGATE_ABI_KEY; }

std::variant<LoadedPlugin, std::string> loadPlugin(const std::filesystem::path& file) {
    const std::string name = file.string();
    std::shared_ptr<dll::shared_library> library;
    try {
        // RTLD_LOCAL: two plugins may carry same-named internal symbols.
        library = std::make_shared<dll::shared_library>(
            file, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        return "plugin " + name + ": cannot load: " + e.what();
    }
    if (!library->has("flowgate_plugin"))
        return "plugin " + name + ": not a Flowgate plugin (no flowgate_plugin entry point)";

    // Plain data: reading it is safe whatever the plugin was built with.
    const auto& descriptor = library->get_alias<const PluginDescriptor>("flowgate_plugin");
    if (descriptor.abiKey == nullptr || std::strcmp(descriptor.abiKey, FLOWGATE_ABI_KEY) != 0) {
        const char* theirs = descriptor.abiKey ? descriptor.abiKey : "(none)";
        const char* theirVersion = descriptor.sdkVersion ? descriptor.sdkVersion : "?";
        return "plugin " + name + " refused: built for SDK " + theirVersion + " (" + theirs +
               "), engine has SDK " FLOWGATE_SDK_VERSION " (" FLOWGATE_ABI_KEY ")";
    }
    if (descriptor.createComponent == nullptr) return "plugin " + name + ": no component factory";

    Component* raw = descriptor.createComponent();
    if (raw == nullptr) return "plugin " + name + ": its component constructor failed";
    // The deleter holds the library: the component's code stays mapped until it is gone.
    std::shared_ptr<Component> component(raw, [library](Component* c) { delete c; });
    return LoadedPlugin{std::move(component), file};
}

}  // namespace flowgate::plugin
