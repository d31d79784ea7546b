#include "route_config.hpp"

#include <set>
#include <stdexcept>
#include <utility>

namespace flowgate::plugins::router {

namespace {

using json = nlohmann::json;

// Output names are keys of a flow step's `next`: the same characters as step ids, which
// also keeps them apart from the JSON pointers in FunctionSpec::outputs.
constexpr const char* kNamePattern = "^[A-Za-z0-9_-]{1,64}$";

json schema() {
    return {{"type", "object"},
            {"properties",
             {{"branches",
               {{"type", "array"},
                {"minItems", 1},
                {"description",
                 "The named outputs, each with a jq condition (jq 1.6). A message goes to a "
                 "branch whose condition's first output is neither false nor null."},
                {"items",
                 {{"type", "object"},
                  {"properties",
                   {{"name",
                     {{"type", "string"},
                      {"pattern", kNamePattern},
                      {"description", "The output's name: a key of the step's \"next\"."}}},
                    {"condition",
                     {{"type", "string"},
                      {"minLength", 1},
                      {"description", "A jq program, e.g. \".amount > 100\"."}}}}},
                  {"required", json::array({"name", "condition"})},
                  {"additionalProperties", false}}}}},
              {"default",
               {{"type", "string"},
                {"pattern", kNamePattern},
                {"description",
                 "The output of a message no branch matched (may be a branch's name). Without "
                 "it, such a message goes no further."}}},
              {"mode",
               {{"enum", json::array({"first", "all"})},
                {"default", "first"},
                {"description",
                 "\"first\": only the first matching branch, in order, gets the message; "
                 "\"all\": every matching branch gets it."}}},
              {"scope",
               {{"enum", json::array({"body", "message"})},
                {"default", "body"},
                {"description",
                 "What the conditions see: the body, or the whole message {id, body, headers, "
                 "attachments, meta} (as jq transform's scope)."}}}}},
            {"required", json::array({"branches"})},
            {"additionalProperties", false}};
}

}  // namespace

FunctionSpec routeFunction() {
    return {.name = "route",
            .description =
                "Sends each message, unchanged, to the named branch whose jq condition holds "
                "(mode \"first\") or to every such branch (mode \"all\"); a message no "
                "branch matched goes to the \"default\" output if one is named, else no further.",
            .configSchema = schema(),
            // The outputs are named in the config: the engine reads them there to check
            // the step's "next" (see FunctionSpec::outputs).
            .outputs = {"/branches/*/name", "/default"},
            // Only evaluates jq conditions and emits the input: safe to run twice.
            .pure = true};
}

std::shared_ptr<RouteConfig> parseRouteConfig(const nlohmann::json& config) {
    auto route = std::make_shared<RouteConfig>();
    std::set<std::string> names;
    const json& branches = config.at("branches");
    for (std::size_t i = 0; i < branches.size(); ++i) {
        const std::string name = branches[i].at("name");
        const std::string where = "branch " + std::to_string(i) + " ('" + name + "')";
        if (!names.insert(name).second)
            throw std::invalid_argument(where + ": the name '" + name + "' is used twice");
        try {
            route->branches.push_back(
                {name, std::make_unique<jq::JqProgram>(branches[i].at("condition"))});
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(where + ": " + e.what());
        }
    }
    if (config.contains("default")) route->fallback = config.at("default").get<std::string>();
    if (config.at("mode") == "all") route->mode = RouteConfig::Mode::all;
    if (config.at("scope") == "message") route->scope = RouteConfig::Scope::message;
    return route;
}

}  // namespace flowgate::plugins::router
