#include "split_step.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace flowgate::plugins::split {

namespace {

using json = nlohmann::json;

// Each element becomes a queued work item: a runaway array fails the attempt clearly
// instead of flooding the queue. Flows may raise it up to kMaxItemsCeiling.
constexpr std::int64_t kDefaultMaxItems = 10000;
constexpr std::int64_t kMaxItemsCeiling = 1000000;

std::string kindOf(const json& value) {
    if (value.is_null()) return "null";
    return (value.is_object() ? "an " : "a ") + std::string(value.type_name());
}

struct SplitConfig {
    std::string path;  // as configured, for messages
    json::json_pointer pointer;
    std::size_t maxItems;
};

class SplitStep final : public StepBase {
public:
    explicit SplitStep(SplitConfig config) : config_(std::move(config)) {}

protected:
    void run(const Message& input, StepContext& context) override {
        const json& items = find(input.body);
        if (!items.is_array())
            throw std::runtime_error("split: " + where() + " is " + kindOf(items) +
                                     ", not an array");
        if (items.size() > config_.maxItems)
            throw std::runtime_error("split: " + where() + " has " + std::to_string(items.size()) +
                                     " elements, more than " + "maxItems (" +
                                     std::to_string(config_.maxItems) + ")");
        if (items.empty()) {
            context.log(LogLevel::debug,
                        "split: empty array, message " + input.id + " goes no further");
            return;
        }
        // The engine gives emitted message i the id "<input id>/<step id>/i": element i's
        // message has the same id on every run of this step.
        for (std::size_t i = 0; i < items.size(); ++i) {
            Message out;  // not a copy of `input`: that would copy the whole array each time
            out.id = input.id;
            out.body = items[i];
            out.headers = input.headers;
            out.attachments = input.attachments;
            out.meta = input.meta.is_object() ? input.meta : json::object();
            out.meta["split"] = {{"index", i}, {"count", items.size()}};
            context.emit(std::move(out));
        }
    }

private:
    const json& find(const json& body) const {
        try {
            return body.at(config_.pointer);
        } catch (const json::exception&) {
            // out_of_range (no such member or index) or parse_error ("/a/x" into an array)
            throw std::runtime_error("split: the body has nothing at path '" + config_.path + "'");
        }
    }

    std::string where() const {
        return config_.path.empty() ? std::string("the body")
                                    : "the value at path '" + config_.path + "'";
    }

    const SplitConfig config_;
};

}  // namespace

FunctionSpec splitFunction() {
    json schema = {{"type", "object"},
                   {"properties",
                    {{"path",
                      {{"type", "string"},
                       {"pattern", "^(/.*)?$"},
                       {"default", ""},
                       {"description",
                        "JSON pointer (RFC 6901) to the array in the body, e.g. \"/order/items\"; "
                        "\"\" (default): the body itself."}}},
                     {"maxItems",
                      {{"type", "integer"},
                       {"minimum", 1},
                       {"maximum", kMaxItemsCeiling},
                       {"default", kDefaultMaxItems},
                       {"description", "A longer array fails the step instead of being split."}}}}},
                   {"additionalProperties", false}};
    return {.name = "split",
            .description =
                "Emits one message per element of an array in the body: the element is the "
                "body, meta.split is {index, count}; headers, attachments and other meta are "
                "kept. An empty array emits nothing; a missing or non-array value fails the step.",
            .configSchema = std::move(schema),
            .pure = true};  // only reads the body and emits: safe to run twice
}

std::unique_ptr<Step> makeSplitStep(const nlohmann::json& config) {
    SplitConfig parsed;
    parsed.path = config.at("path").get<std::string>();
    try {
        parsed.pointer = json::json_pointer(parsed.path);
    } catch (const json::exception& e) {
        throw std::invalid_argument("path '" + parsed.path +
                                    "' is not a JSON pointer: " + e.what());
    }
    parsed.maxItems = config.at("maxItems").get<std::size_t>();
    return std::make_unique<SplitStep>(std::move(parsed));
}

}  // namespace flowgate::plugins::split
