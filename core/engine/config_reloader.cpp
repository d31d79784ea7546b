#include "engine/config_reloader.hpp"

#include <pthread.h>

#include <algorithm>
#include <vector>

#include "config/credential_store.hpp"
#include "flow/flow_loader.hpp"
#include "flow/flow_merge.hpp"

namespace flowgate::cli {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

// "; label: a, b" or nothing.
void describe(std::string& line, const char* label, const std::vector<std::string>& items) {
    if (!items.empty()) line += std::string("; ") + label + ": " + joined(items);
}

}  // namespace

// Plugin files a check handled: registered, refused, or changed under a loaded component.
struct ConfigReloader::PluginChanges {
    std::vector<std::string> components;  // newly registered component names
    std::vector<std::string> replaced;    // loaded files that changed: need a restart
    std::size_t refused = 0;

    bool any() const { return !components.empty() || !replaced.empty() || refused > 0; }
};

ConfigReloader::ConfigReloader(const config::EngineConfig& engine,
                               plugin::ComponentRegistry& components, flow::FlowCatalog& catalog,
                               ReloadMetrics& metrics)
    : engine_(engine),
      components_(components),
      catalog_(catalog),
      metrics_(metrics),
      logger_(Poco::Logger::get("flowgate.reload")),
      config_(configStamps()),
      plugins_(pluginStamps()) {}

ConfigReloader::~ConfigReloader() {
    stop();
}

void ConfigReloader::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void ConfigReloader::requestReload() {
    {
        std::lock_guard lock(mutex_);
        requested_ = true;
    }
    wake_.notify_one();
}

void ConfigReloader::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void ConfigReloader::run() {
    pthread_setname_np(pthread_self(), "fg-reload");  // for top -H and profiles
    const auto interval = engine_.reload.interval;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        auto ready = [this] { return stopping_ || requested_; };
        if (interval.count() > 0)
            wake_.wait_for(lock, interval, ready);
        else
            wake_.wait(lock, ready);
        if (stopping_) break;
        const bool forced = requested_;
        requested_ = false;
        lock.unlock();
        check(forced);
        lock.lock();
    }
}

FileStamps ConfigReloader::configStamps() const {
    FileStamps stamps = stampFiles(engine_.flowsDir, ".json");
    stamps.merge(stampFiles(engine_.credentialsDir, ".json"));
    // engine.json too, so that an edit to it is checked (and a broken one reported) when
    // it happens, not at the next restart.
    for (auto& [file, stamp] : stampFiles(engine_.configDir, ".json"))
        if (file.filename() == "engine.json") stamps.emplace(file, stamp);
    return stamps;
}

FileStamps ConfigReloader::pluginStamps() const {
    FileStamps stamps;
    for (const auto& dir : engine_.pluginPath) stamps.merge(stampFiles(dir, ".so"));
    return stamps;
}

bool ConfigReloader::check(bool forced) {
    try {
        const PluginChanges plugins = takePluginChanges(forced);
        FileStamps config = configStamps();
        if (!forced && !plugins.any() && config == config_) return false;
        config_ = std::move(config);
        reload(forced ? "SIGHUP" : "files changed", plugins);
        return true;
    } catch (const std::exception& e) {
        // Whatever went wrong, the engine keeps serving the flows it had.
        ++metrics_.reloads;
        ++metrics_.failures;
        logger_.error("reload failed, running flows unchanged: %s", std::string(e.what()));
        return true;
    }
}

ConfigReloader::PluginChanges ConfigReloader::takePluginChanges(bool forced) {
    PluginChanges changes;
    const FileStamps current = pluginStamps();
    const auto now = Clock::now();
    std::vector<fs::path> ready;
    for (const auto& [file, stamp] : current) {
        auto handled = plugins_.find(file);
        if (handled != plugins_.end() && handled->second == stamp) {
            pending_.erase(file);
            continue;
        }
        if (!forced) {
            auto [it, isNew] = pending_.try_emplace(file, PendingPlugin{stamp, now});
            if (isNew || it->second.stamp != stamp) {
                it->second = {stamp, now};  // still being written, perhaps: wait
                continue;
            }
            if (now - it->second.since < kPluginSettleTime) continue;
        }
        ready.push_back(file);
    }
    // A removed file's component stays registered (libraries are never unloaded).
    std::erase_if(plugins_, [&](const auto& entry) { return !current.contains(entry.first); });
    std::erase_if(pending_, [&](const auto& entry) { return !current.contains(entry.first); });

    for (const auto& file : ready) {
        plugins_[file] = current.at(file);
        pending_.erase(file);
        if (components_.provides(file)) {
            logger_.warning("plugin %s changed; restart to replace %s", file.string(),
                            file.filename().string());
            changes.replaced.push_back(file.filename().string());
            continue;
        }
        std::vector<std::string> before;
        for (const auto& c : components_.all()) before.push_back(c->manifest.name);
        if (auto error = components_.loadFile(file); !error.empty()) {
            logger_.error(error);
            ++changes.refused;
            continue;
        }
        for (const auto& c : components_.all()) {
            if (std::find(before.begin(), before.end(), c->manifest.name) != before.end()) continue;
            logger_.information("component %s %s from %s", c->manifest.name, c->manifest.version,
                                c->file.string());
            changes.components.push_back(c->manifest.name);
        }
    }
    return changes;
}

void ConfigReloader::reload(const char* why, const PluginChanges& plugins) {
    // engine.json is read at start only; a reload just checks it, so that a broken edit
    // is reported now and not as a refused start at the next restart.
    config::ConfigErrors engineErrors;
    config::loadEngineConfig(engine_.configDir, engineErrors);

    config::ConfigErrors errors;
    // Built off to the side; the running flows and their credentials are untouched
    // until the catalog swap below.
    const auto credentials = config::CredentialStore::load(engine_.credentialsDir, errors);
    auto fresh = flow::loadFlows(engine_.flowsDir, components_, credentials, engine_.retry);
    for (auto& error : errors) fresh.errors.push_back(std::move(error));
    const auto merged = flow::mergeFlows(*catalog_.snapshot(), fresh);
    catalog_.replace(merged.flows);

    // Counted before anything is logged: whoever reads a reload's log lines finds it
    // counted already.
    const std::size_t problems = engineErrors.size() + fresh.errors.size() + plugins.refused;
    ++metrics_.reloads;
    if (problems > 0) ++metrics_.failures;

    for (const auto& error : engineErrors) logger_.error(error.toString());
    for (const auto& error : fresh.errors) logger_.error(error.toString());
    const auto& c = merged.changes;
    std::string line = std::string("reload (") + why + ")";
    describe(line, "components added", plugins.components);
    describe(line, "restart to replace", plugins.replaced);
    describe(line, "flows added", c.added);
    describe(line, "updated", c.updated);
    describe(line, "removed", c.removed);
    describe(line, "kept previous version (file refused)", c.kept);
    describe(line, "refused", c.refused);
    if (!engineErrors.empty()) line += "; engine.json refused, running settings kept";
    if (problems > 0) line += "; " + std::to_string(problems) + " error(s) logged above";
    if (!plugins.any() && !c.anyFlowChanged() && c.kept.empty() && c.refused.empty() &&
        engineErrors.empty())
        line += ": nothing changed";
    line += "; " + std::to_string(merged.flows->all().size()) + " flow(s) running";
    if (problems > 0)
        logger_.warning(line);
    else
        logger_.information(line);
}

}  // namespace flowgate::cli
