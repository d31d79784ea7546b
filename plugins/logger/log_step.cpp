#include "log_step.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "append_only_file.hpp"
#include "log_line.hpp"
#include "utc_timestamp.hpp"

namespace flowgate::plugins::logger {

namespace {

struct LevelName {
    std::string_view name;
    LogLevel level;
};

constexpr std::array<LevelName, 4> kLevels{{{"debug", LogLevel::debug},
                                            {"info", LogLevel::info},
                                            {"warning", LogLevel::warning},
                                            {"error", LogLevel::error}}};

struct LogConfig {
    LevelName level;
    std::optional<std::string> prefix;
};

class LogStep final : public StepBase {
public:
    LogStep(LogConfig config, std::unique_ptr<const AppendOnlyFile> file)
        : config_(std::move(config)), file_(std::move(file)) {}

protected:
    void run(const Message& input, StepContext& context) override {
        std::string line = formatLine(input, context);
        if (file_) {
            line += '\n';
            file_->append(line);
        } else {
            context.log(config_.level.level, line);
        }
        context.forward(input);
    }

private:
    std::string formatLine(const Message& input, const StepContext& context) const {
        return logLine(input, utcTimestamp(std::chrono::system_clock::now()),
                       config_.level.name, context.flowId(), context.stepId(), config_.prefix);
    }

    const LogConfig config_;
    const std::unique_ptr<const AppendOnlyFile> file_;  // null: lines go to the engine log
};

}  // namespace

FunctionSpec logFunction() {
    using json = nlohmann::json;
    json schema = {
        {"type", "object"},
        {"properties",
         {{"level",
           {{"type", "string"},
            {"enum", json::array({"debug", "info", "warning", "error"})},
            {"default", "info"},
            {"description", "The level of the lines."}}},
          {"file",
           {{"type", "string"},
            {"minLength", 1},
            {"description",
             "Append the lines to this file (absolute, or relative to the engine's working "
             "directory) instead of the engine log."}}},
          {"prefix",
           {{"type", "string"},
            {"minLength", 1},
            {"description",
             "Added to every line as its \"prefix\" field, to tell loggers apart."}}}}},
        {"additionalProperties", false}};
    return {.name = "log",
            .description = "Logs each message as one JSON line {time, level, flow, step, "
                           "requestId, prefix, message} and passes it on unchanged.",
            .configSchema = std::move(schema)};
}

std::unique_ptr<Step> makeLogStep(const nlohmann::json& config) {
    LogConfig parsed{kLevels[1], std::nullopt};
    const std::string level = config.at("level");
    for (const auto& candidate : kLevels)
        if (candidate.name == level) parsed.level = candidate;
    if (config.contains("prefix")) parsed.prefix = config.at("prefix").get<std::string>();
    std::unique_ptr<const AppendOnlyFile> file;
    if (config.contains("file"))
        file = std::make_unique<const AppendOnlyFile>(config.at("file").get<std::string>());
    return std::make_unique<LogStep>(std::move(parsed), std::move(file));
}

}  // namespace flowgate::plugins::logger
