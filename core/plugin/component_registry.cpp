#include "plugin/component_registry.hpp"

#include <algorithm>
#include <system_error>
#include <variant>

#include "plugin/plugin_library.hpp"

namespace flowgate::plugin {

namespace fs = std::filesystem;

const RegisteredFunction* RegisteredComponent::function(std::string_view name) const {
    auto it = functions.find(name);
    return it == functions.end() ? nullptr : &it->second;
}

std::variant<std::shared_ptr<Step>, std::string> RegisteredComponent::createStep(
    std::string_view function, const nlohmann::json& config) const {
    CreateStepResult created = component->createStep(function, config);
    if (!created.step) {
        if (!created.error.empty()) return std::move(created.error);
        return "component '" + manifest.name + "' made no step for function '" +
               std::string(function) + "'";
    }
    // A step does not keep its library loaded by itself. Members are destroyed in reverse
    // order, so the step is deleted while the component still holds the library.
    struct Owner {
        std::shared_ptr<Component> component;
        std::unique_ptr<Step> step;
    };
    auto owner = std::make_shared<Owner>(Owner{component, std::move(created.step)});
    Step* step = owner->step.get();
    return std::shared_ptr<Step>(std::move(owner), step);
}

namespace {

bool isPluginFile(const fs::directory_entry& entry) {
    std::error_code ec;
    return entry.is_regular_file(ec) && entry.path().extension() == ".so";
}

// Checks what the engine relies on in a manifest and compiles its schemas.
std::variant<std::shared_ptr<const RegisteredComponent>, std::string> compile(
    LoadedPlugin&& plugin) {
    auto registered = std::make_shared<RegisteredComponent>();
    registered->manifest = plugin.component->manifest();
    const auto& manifest = registered->manifest;
    const std::string where = "plugin " + plugin.file.string();
    if (manifest.name.empty()) return where + ": manifest has no component name";
    if (manifest.functions.empty())
        return where + ": component '" + manifest.name + "' declares no functions";
    std::map<std::string, config::ConfigSchema, std::less<>> credentialSchemas;
    for (const auto& type : manifest.credentialTypes) {
        const std::string credential = "credential type '" + type.name + "'";
        if (type.name.empty()) return where + ": a credential type has no name";
        if (credentialSchemas.contains(type.name))
            return where + ": " + credential + " is declared twice";
        try {
            credentialSchemas.emplace(type.name, config::ConfigSchema::compile(type.schema));
        } catch (const std::exception& e) {
            return where + ": " + credential + ": " + e.what();
        }
    }
    for (const auto& fn : manifest.functions) {
        const std::string function = "function '" + manifest.name + "." + fn.name + "'";
        // A second spec of the same name would be silently shadowed by the first.
        if (registered->functions.contains(fn.name))
            return where + ": " + function + " is declared twice";
        std::optional<config::ConfigSchema> credentialSchema;
        if (!fn.credentialType.empty()) {
            auto type = credentialSchemas.find(fn.credentialType);
            // Without the type's schema a credential could only be judged when a step runs.
            if (type == credentialSchemas.end())
                return where + ": " + function + " takes credential type '" +
                       fn.credentialType + "', which the manifest's credentialTypes do not declare";
            credentialSchema = type->second;
        }
        try {
            registered->functions.emplace(
                fn.name, RegisteredFunction{fn, config::ConfigSchema::compile(fn.configSchema),
                                            std::move(credentialSchema)});
        } catch (const std::exception& e) {
            return where + ": " + function + ": " + e.what();
        }
    }
    registered->component = std::move(plugin.component);
    registered->file = std::move(plugin.file);
    return std::shared_ptr<const RegisteredComponent>(std::move(registered));
}

}  // namespace

std::string ComponentRegistry::loadFile(const fs::path& file) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(file, ec);
    if (ec) return "plugin " + file.string() + ": " + ec.message();
    {
        std::lock_guard lock(mutex_);
        if (!seenFiles_.insert(canonical).second) return {};
    }
    std::string error = registerFile(canonical);
    if (!error.empty()) {
        // A refused file may be fixed or replaced later (a reload tries it again).
        std::lock_guard lock(mutex_);
        seenFiles_.erase(canonical);
    }
    return error;
}

std::string ComponentRegistry::registerFile(const fs::path& canonical) {
    auto loaded = loadPlugin(canonical);
    if (auto* error = std::get_if<std::string>(&loaded)) return *error;
    auto compiled = compile(std::move(std::get<LoadedPlugin>(loaded)));
    if (auto* error = std::get_if<std::string>(&compiled)) return *error;
    auto component = std::get<std::shared_ptr<const RegisteredComponent>>(std::move(compiled));

    std::lock_guard lock(mutex_);
    auto [it, inserted] = components_.emplace(component->manifest.name, component);
    if (!inserted)
        return "plugin " + canonical.string() + " refused: component '" +
               component->manifest.name + "' is already provided by " + it->second->file.string();
    return {};
}

bool ComponentRegistry::provides(const fs::path& file) const {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(file, ec);
    if (ec) return false;
    std::lock_guard lock(mutex_);
    for (const auto& [name, component] : components_)
        if (component->file == canonical) return true;
    return false;
}

std::vector<std::string> ComponentRegistry::loadDirectory(const fs::path& directory) {
    std::error_code ec;
    fs::directory_iterator it(directory, ec);
    if (ec) return {"plugin directory " + directory.string() + ": " + ec.message()};
    std::vector<fs::path> files;
    for (const auto& entry : it)
        if (isPluginFile(entry)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());

    std::vector<std::string> errors;
    for (const auto& file : files)
        if (auto error = loadFile(file); !error.empty()) errors.push_back(std::move(error));
    return errors;
}

std::shared_ptr<const RegisteredComponent> ComponentRegistry::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = components_.find(name);
    return it == components_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const RegisteredComponent>> ComponentRegistry::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<const RegisteredComponent>> result;
    for (const auto& [name, component] : components_) result.push_back(component);
    return result;
}

}  // namespace flowgate::plugin
