#include "plugin/function_outputs.hpp"

#include <string_view>
#include <vector>

namespace flowgate::plugin {

namespace {

using json = nlohmann::json;

// RFC 6901 tokens of `pointer` (which starts with '/'), unescaped.
std::vector<std::string> tokens(std::string_view pointer) {
    std::vector<std::string> result;
    for (std::size_t start = 1;;) {
        const std::size_t end = pointer.find('/', start);
        std::string token(pointer.substr(start, end - start));
        std::string unescaped;
        for (std::size_t i = 0; i < token.size(); ++i) {
            if (token[i] == '~' && i + 1 < token.size() &&
                (token[i + 1] == '0' || token[i + 1] == '1'))
                unescaped += token[++i] == '0' ? '~' : '/';
            else
                unescaped += token[i];
        }
        result.push_back(std::move(unescaped));
        if (end == std::string_view::npos) return result;
        start = end + 1;
    }
}

void collect(const json& value, const std::vector<std::string>& path, std::size_t at,
             std::set<std::string, std::less<>>& names) {
    if (at == path.size()) {
        if (value.is_string()) names.insert(value.get<std::string>());
        return;
    }
    const std::string& token = path[at];
    if (token == "*") {
        if (value.is_array() || value.is_object())
            for (const auto& child : value) collect(child, path, at + 1, names);
    } else if (value.is_object()) {
        if (auto it = value.find(token); it != value.end()) collect(*it, path, at + 1, names);
    } else if (value.is_array() && !token.empty() &&
               token.find_first_not_of("0123456789") == std::string::npos && token.size() < 10) {
        const std::size_t index = std::stoul(token);
        if (index < value.size()) collect(value[index], path, at + 1, names);
    }
}

}  // namespace

std::set<std::string, std::less<>> declaredOutputs(const FunctionSpec& spec, const json& config) {
    std::set<std::string, std::less<>> names;
    for (const auto& output : spec.outputs) {
        if (output.empty() || output.front() != '/')
            names.insert(output);
        else
            collect(config, tokens(output), 0, names);
    }
    return names;
}

}  // namespace flowgate::plugin
