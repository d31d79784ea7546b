// The `flowgate` command line: run, validate, plugins, version.
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pthread.h>

#include <Poco/Logger.h>

#include "cli/admin_commands.hpp"
#include "engine/engine.hpp"
#include "engine/logging.hpp"
#include "cli/plugins_command.hpp"
#include "engine/supervisor.hpp"
#include "engine/worker_role.hpp"
#include "config/engine_config.hpp"
#include "flowgate/abi.hpp"
#include "plugin/plugin_library.hpp"

namespace {

using flowgate::cli::EngineOptions;

constexpr const char* kUsage =
    "usage: flowgate <command> [options]\n"
    "commands:\n"
    "  run        start the engine: an intake process (webhooks, queue) and worker\n"
    "             processes (steps), supervised\n"
    "  ingress    with a distributed backend (engine.json queue: rabbitmq): take webhook\n"
    "             calls, run no steps; any number, on any machines\n"
    "  worker     with a distributed backend: run worker processes, take no calls\n"
    "  validate   check a config directory and list every error\n"
    "  plugins    list the components the plugins provide (--json: as JSON); default:\n"
    "             the installation's lib/flowgate/plugins\n"
    "  version    print versions and the plugin ABI key\n"
    "operator commands (talk to a running engine's admin API):\n"
    "  flows [list] | flows pause ID | flows resume ID\n"
    "  executions [--flow F] [--status S] [--since T] [--until T] [--limit N] [--cursor C]\n"
    "  executions show ID\n"
    "  dead-letters list [--flow F] [--since T] [--until T] [--limit N] [--cursor C]\n"
    "  dead-letters replay ID | dead-letters replay (--flow F | --since T | --until T | --all)\n"
    "  dead-letters delete ID\n"
    "    --json            print the API's JSON instead of a table\n"
    "    --admin-url URL   default: engine.json's admin host and port (--config), else\n"
    "                      http://127.0.0.1:8081\n"
    "    --token-file F    default: $FLOWGATE_ADMIN_TOKEN, else <dataDir>/admin-token\n"
    "options:\n"
    "  --config DIR    config directory (default: config)\n"
    "  --plugins DIR   plugin directory; repeatable; replaces engine.json's pluginPath\n"
    "  --port N        listen port (0: any free port)\n"
    "  --admin-port N  admin listener port (0: any free port)\n"
    "  --data DIR      data directory (queue)\n"
    "  --log-format F  text or json; replaces engine.json's logFormat\n";

// A one-line message on stderr and exit code 2: how the CLI refuses bad input.
[[noreturn]] void usageError(const std::string& message) {
    std::cerr << "flowgate: " << message << " (see 'flowgate help')\n";
    std::exit(2);
}

const std::string& logFormat(const std::string& format) {
    if (format != "text" && format != "json")
        usageError("--log-format needs 'text' or 'json', not '" + format + "'");
    return format;
}

EngineOptions parseOptions(const std::vector<std::string>& args) {
    EngineOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) usageError("option " + arg + " needs a value");
            return args[++i];
        };
        if (arg == "--config") options.configDir = value();
        else if (arg == "--role") {  // `_intake`'s: which of run, ingress and worker it is
            const std::string& role = value();
            if (role == "ingress") options.role = flowgate::cli::EngineRole::ingress;
            else if (role == "worker") options.role = flowgate::cli::EngineRole::worker;
            else if (role != "all") usageError("--role needs all, ingress or worker");
        }
        else if (arg == "--plugins") options.pluginDirs.emplace_back(value());
        else if (arg == "--data") options.dataDir = value();
        else if (arg == "--log-format") options.logFormat = logFormat(value());
        else if (arg == "--admin-port") {
            const std::string& text = value();
            char* end = nullptr;
            const long port = std::strtol(text.c_str(), &end, 10);
            if (text.empty() || *end != '\0' || port < 0 || port > 65535)
                usageError("--admin-port needs a number from 0 to 65535, not '" + text + "'");
            options.adminPort = static_cast<int>(port);
        } else if (arg == "--port") {
            const std::string& text = value();
            char* end = nullptr;
            const long port = std::strtol(text.c_str(), &end, 10);
            if (text.empty() || *end != '\0' || port < 0 || port > 65535)
                usageError("--port needs a number from 0 to 65535, not '" + text + "'");
            options.port = static_cast<int>(port);
        } else
            usageError("unknown option '" + arg + "'");
    }
    return options;
}

// Each HTTP connection is a descriptor: the usual soft limit of 1024 would cap the edge
// far below its http.maxConnections. Raised to the hard limit the system grants.
void raiseOpenFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

// The intake process (`flowgate _intake`, started by `run`).
int intakeCommand(const EngineOptions& options) {
    raiseOpenFileLimit();
    // Block the stop and reload signals in every thread; the main thread waits for them
    // below.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::optional<flowgate::cli::Engine> engine;
    try {
        engine.emplace(options);
    } catch (const flowgate::cli::ConfigRejected& e) {
        std::cerr << e.what() << '\n';  // already "file: /pointer: reason" lines
        return 1;
    }
    flowgate::cli::setUpLogging(engine->config().logLevel, engine->config().logFormat);
    try {
        engine->start();
    } catch (const flowgate::cli::StartupError& e) {
        std::cerr << "flowgate: " << e.what() << '\n';
        return 1;
    }
    if (options.role == flowgate::cli::EngineRole::worker) {
        std::cout << "Flowgate worker host: " << engine->config().workers.processes
                  << " worker process(es)\n";
        std::cout << "Flowgate admin on " << engine->adminUrl() << '\n';
    } else {
        std::cout << "Flowgate listening on " << engine->baseUrl() << '\n';
        std::cout << "Flowgate admin on " << engine->adminUrl() << '\n';
        for (const auto& id : engine->flowIds())
            std::cout << "  flow " << id << ": " << engine->baseUrl() << "/hook/" << id << '\n';
    }
    std::cout << std::flush;

    int signal = 0;
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) engine->reload();
    Poco::Logger::get("flowgate.intake")
        .information("%s received, stopping", std::string(signal == SIGINT ? "SIGINT" : "SIGTERM"));
    engine->stop();
    return 0;
}

// A worker process (`flowgate _worker`, started by the intake): the engine's options plus
// --socket PATH, --public-base-url URL, --engine-json DOCUMENT, --log-fd N and
// --step-slot-fd N.
int workerCommand(std::vector<std::string> args) {
    std::map<std::string, std::string> own = {{"--socket", ""},      {"--public-base-url", ""},
                                              {"--engine-json", ""}, {"--log-fd", ""},
                                              {"--step-slot-fd", ""}};
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto it = own.find(args[i]);
        if (it != own.end() && i + 1 < args.size())
            it->second = args[++i];
        else
            rest.push_back(args[i]);
    }
    const std::string& socket = own["--socket"];
    if (socket.empty()) usageError("_worker needs --socket");
    if (own["--step-slot-fd"].empty()) usageError("_worker needs --step-slot-fd");
    EngineOptions options = parseOptions(rest);
    if (const std::string& engineJson = own["--engine-json"]; !engineJson.empty()) {
        options.engineDocument = nlohmann::json::parse(engineJson, nullptr, false);
        if (options.engineDocument->is_discarded())
            usageError("_worker: --engine-json is not JSON");
    }
    const std::string& publicBaseUrl = own["--public-base-url"];
    const int logFd = own["--log-fd"].empty() ? STDERR_FILENO : std::atoi(own["--log-fd"].c_str());
    const int stepSlotFd = std::atoi(own["--step-slot-fd"].c_str());
    return flowgate::cli::runWorker(options, socket, publicBaseUrl, logFd, stepSlotFd);
}

int validateCommand(const EngineOptions& options) {
    const auto report = flowgate::cli::validateConfig(options);
    for (const auto& error : report.pluginErrors) std::cout << error << '\n';
    for (const auto& error : report.errors) std::cout << error.toString() << '\n';
    const std::size_t problems = report.errors.size() + report.pluginErrors.size();
    std::cout << report.validFlows << " valid flow(s), " << problems << " error(s)\n";
    return problems == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        std::cout << kUsage;
        return args.empty() ? 2 : 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    // Every role writes to pipes and sockets whose reader may be gone: a write error is
    // handled where it happens, never a signal that ends the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Errors while loading config are logged; keep them readable before `run` sets the
    // configured level.
    flowgate::cli::setUpLogging("information");
    try {
        if (command == "run" || command == "ingress" || command == "worker") {
            // Refuses a bad command line here, with exit status 2.
            const EngineOptions options = parseOptions(args);
            // The supervisor's own lines take the engine's log format too. engine.json's
            // errors are the intake's to report (it refuses to start on them).
            flowgate::config::ConfigErrors ignored;
            flowgate::cli::setUpLogging(
                "information",
                options.logFormat.value_or(
                    flowgate::config::loadEngineConfig(options.configDir, ignored).logFormat));
            std::vector<std::string> intakeArgs = {"_intake", "--role",
                                                   command == "run" ? "all" : command};
            intakeArgs.insert(intakeArgs.end(), args.begin(), args.end());
            return flowgate::cli::superviseIntake(intakeArgs);
        }
        if (command == "_intake") return intakeCommand(parseOptions(args));
        if (command == "_worker") return workerCommand(args);
        if (flowgate::cli::isAdminCommand(command))
            return flowgate::cli::adminCommand(command, args, std::cout, std::cerr);
        if (command == "validate") return validateCommand(parseOptions(args));
        if (command == "plugins")
            return flowgate::cli::pluginsCommand(args, std::filesystem::read_symlink("/proc/self/exe"),
                                                 std::cout, std::cerr);
        if (command == "version") {
            std::cout << "flowgate 0.1.0, plugin SDK " FLOWGATE_SDK_VERSION "\nABI key: "
                      << flowgate::plugin::engineAbiKey() << '\n';
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "flowgate: " << e.what() << '\n';
        return 1;
    }
    usageError("unknown command '" + command + "'");
}
