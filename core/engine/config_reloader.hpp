// Picks up plugins, flows and credentials that change while the engine runs.
//
// Every `reload.interval` (and at once on requestReload(), i.e. SIGHUP) it compares a
// cheap signature of the plugin directories and of the flows and credentials
// directories with the last one. On a change it registers new plugin files, loads the
// credentials and every flow again off to the side, merges them with the running flows
// file by file (a broken file keeps its running version) and swaps the catalog in one
// step: webhook requests and workers never wait for a reload. engine.json is only
// checked: its errors are logged and the running settings stay (it applies at restart).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <Poco/Logger.h>

#include "engine/file_stamps.hpp"
#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "plugin/component_registry.hpp"

namespace flowgate::cli {

struct ReloadMetrics {
    std::atomic<std::uint64_t> reloads{0};   // reloads done (changes found or SIGHUP)
    std::atomic<std::uint64_t> failures{0};  // reloads that refused a file, or threw
};

class ConfigReloader {
public:
    // A plugin file is loaded once it has kept its size and time this long, so a file
    // still being copied is not opened half-written. A forced reload does not wait.
    static constexpr std::chrono::milliseconds kPluginSettleTime{500};

    // Takes the current signature as the baseline: call it right after the engine
    // loaded its config. Everything referenced must outlive the reloader.
    ConfigReloader(const config::EngineConfig& engine, plugin::ComponentRegistry& components,
                   flow::FlowCatalog& catalog, ReloadMetrics& metrics);
    ~ConfigReloader();  // stop()

    // Starts the polling thread (it only waits for requests when the interval is 0).
    void start();
    // Asks for a reload of everything now, whatever changed (SIGHUP, seen by the main
    // thread's sigwait; not for a signal handler). Returns at once: the reload runs on
    // the reloader's thread.
    void requestReload();
    // Ends the thread; a reload in progress finishes first. Idempotent.
    void stop();

    // One check on the calling thread (the thread's loop body): reloads if something
    // changed, or always when `forced`. Returns whether it reloaded. Not thread-safe
    // with itself: the polling thread must not be running. Never throws.
    bool check(bool forced);

private:
    struct PendingPlugin {
        FileStamp stamp;
        std::chrono::steady_clock::time_point since;
    };
    struct PluginChanges;

    void run();
    PluginChanges takePluginChanges(bool forced);
    void reload(const char* why, const PluginChanges& plugins);
    FileStamps configStamps() const;
    FileStamps pluginStamps() const;

    const config::EngineConfig& engine_;
    plugin::ComponentRegistry& components_;
    flow::FlowCatalog& catalog_;
    ReloadMetrics& metrics_;
    Poco::Logger& logger_;

    // Owned by the reloading thread.
    FileStamps config_;   // flows + credentials at the last reload
    FileStamps plugins_;  // plugin files handled, as handled
    std::map<std::filesystem::path, PendingPlugin> pending_;  // new plugin files settling

    std::mutex mutex_;
    std::condition_variable wake_;
    bool requested_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace flowgate::cli
