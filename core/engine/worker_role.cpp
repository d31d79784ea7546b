#include "engine/worker_role.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>

#include <Poco/Logger.h>

#include "attachments/attachment_store.hpp"
#include "engine/config_reloader.hpp"
#include "engine/loaded_config.hpp"
#include "engine/logging.hpp"
#include "flow/flow_catalog.hpp"
#include "ipc/queue_client.hpp"
#include "ipc/remote_reply_channel.hpp"
#include "ipc/step_slot.hpp"
#include "runtime/worker_pool.hpp"

namespace flowgate::cli {

namespace {

// The intake listens before it starts workers; this only covers a slow start.
constexpr std::chrono::seconds kConnectPatience{10};

}  // namespace

int runWorker(const EngineOptions& options, const std::filesystem::path& socket,
              const std::string& publicBaseUrl, int logFd, int stepSlotFd) {
    // Ctrl-C reaches the whole process group; the intake decides when workers stop.
    std::signal(SIGINT, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto loaded = loadConfig(options);
    const auto& engine = loaded->engine;
    setUpLogging(engine.logLevel, engine.logFormat, logFd);
    // The intake loads and reloads the same files and reports what is wrong with them;
    // every worker saying it again (and at every restart) would only bury it.
    Poco::Logger::get("flowgate.reload").setLevel(Poco::Message::PRIO_FATAL);
    auto& logger = Poco::Logger::get("flowgate.worker");

    flow::FlowCatalog catalog;
    catalog.replace(loaded->flows);
    ReloadMetrics reloadMetrics;
    ConfigReloader reloader(engine, loaded->components, catalog, reloadMetrics);
    attachments::AttachmentStore attachments(attachments::AttachmentStore::rootFor(engine.dataDir));

    // A broken link means the intake is gone or stopping: stop like on SIGTERM.
    const pid_t self = ::getpid();
    ipc::QueueClient client(socket, kConnectPatience, [self] { ::kill(self, SIGTERM); });
    ipc::RemoteReplyChannel replies(client);
    const nlohmann::json engineSettings = {
        {"network",
         {{"allowPrivateAddresses", engine.network.allowPrivateAddresses},
          {"allowAddresses", engine.network.allowAddresses}}},
        {"publicBaseUrl", publicBaseUrl}};
    ipc::StepSlotWriter steps(ipc::StepSlot::adopt(stepSlotFd));
    runtime::WorkerPool pool(client, steps, catalog, replies, attachments, engine.workers,
                             engineSettings);
    pool.start();
    reloader.start();
    logger.debug("worker ready");

    int signal = 0;
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) reloader.requestReload();
    reloader.stop();
    pool.stop();
    return 0;
}

}  // namespace flowgate::cli
