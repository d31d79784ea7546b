#include "broker/amqp_link.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <future>
#include <map>
#include <optional>
#include <unordered_map>

#include "broker/amqp_session.hpp"
#include "broker/broker_error.hpp"

namespace flowgate::broker {

namespace {

using Clock = std::chrono::steady_clock;

std::exception_ptr unavailable(const std::string& reason) {
    return std::make_exception_ptr(BrokerUnavailable(reason));
}

}  // namespace

struct AmqpLink::Operation {
    enum class Kind { publish, ack, reject, consume };
    Kind kind = Kind::publish;
    std::vector<Publication> publications;
    Confirmation done;
    DeliveryRef ref;
    bool requeue = false;
    std::string queue;  // consume
    std::uint16_t prefetch = 0;
    DeliveryHandler handler;
};

// What the link thread keeps for one connection: the publishes waiting for their
// confirms. Lives as long as the connection; whatever is unconfirmed when it ends fails.
class AmqpLink::Worker {
public:
    Worker(AmqpSession& session, const LinkOptions& options, std::vector<Consumer>& consumers,
           const StatusHandler& onStatus)
        : session_(session), options_(options), consumers_(consumers), onStatus_(onStatus) {}

    ~Worker() {
        for (auto& [sequence, batch] : pending_)
            finish(*batch, unavailable("the connection to the broker ended before it confirmed"));
    }

    void apply(Operation& operation) {
        switch (operation.kind) {
            case Operation::Kind::publish:
                publish(operation);
                break;
            case Operation::Kind::ack:
                if (operation.ref.session == session_.id()) session_.ack(operation.ref.tag);
                break;
            case Operation::Kind::reject:
                if (operation.ref.session == session_.id())
                    session_.reject(operation.ref.tag, operation.requeue);
                break;
            case Operation::Kind::consume:
                consumers_.push_back(
                    {operation.queue, operation.prefetch, std::move(operation.handler)});
                session_.consume(consumers_.back().queue, consumers_.back().prefetch);
                break;
        }
    }

    // Handles everything the broker has sent; throws BrokerUnavailable when the
    // connection failed.
    void drain() {
        while (auto event = session_.next()) handle(*event);
    }

    // Fails the publishes whose confirm is overdue; returns how long until the next one is.
    std::chrono::milliseconds expire() {
        const auto now = Clock::now();
        while (!pending_.empty()) {
            auto first = pending_.begin();
            if (first->second->deadline > now) {
                return std::chrono::duration_cast<std::chrono::milliseconds>(
                           first->second->deadline - now) +
                       std::chrono::milliseconds(1);
            }
            finish(*first->second, unavailable("the broker did not confirm in time"));
            pending_.erase(first);
        }
        return std::chrono::milliseconds(200);
    }

private:
    struct Batch {
        Confirmation done;
        std::size_t outstanding = 0;
        Clock::time_point deadline;
        std::optional<std::string> returned;  // why the broker returned a message of it
        std::vector<std::string> messageIds;
    };

    void publish(Operation& operation) {
        auto batch = std::make_shared<Batch>();
        batch->done = std::move(operation.done);
        batch->deadline = Clock::now() + options_.confirmTimeout;
        if (operation.publications.empty()) {
            finish(*batch, nullptr);
            return;
        }
        try {
            for (const auto& publication : operation.publications) {
                const std::uint64_t sequence = session_.publish(publication);
                pending_.emplace(sequence, batch);
                ++batch->outstanding;
                if (!publication.message.messageId.empty()) {
                    batch->messageIds.push_back(publication.message.messageId);
                    byMessageId_[publication.message.messageId] = batch;
                }
            }
        } catch (const BrokerUnavailable& e) {
            finish(*batch, std::current_exception());
            throw;
        }
    }

    void handle(SessionEvent& event) {
        switch (event.kind) {
            case SessionEvent::Kind::ack:
            case SessionEvent::Kind::nack: {
                const bool acked = event.kind == SessionEvent::Kind::ack;
                auto first = event.multiple ? pending_.begin() : pending_.find(event.tag);
                auto last = event.multiple ? pending_.upper_bound(event.tag)
                                           : (first == pending_.end() ? first : std::next(first));
                for (auto it = first; it != last;) {
                    Batch& batch = *it->second;
                    --batch.outstanding;
                    if (!acked) {
                        finish(batch, unavailable("the broker refused the message (nack)"));
                    } else if (batch.outstanding == 0) {
                        finish(batch, batch.returned
                                          ? unavailable("the broker returned the message: " +
                                                        *batch.returned)
                                          : nullptr);
                    }
                    it = pending_.erase(it);
                }
                break;
            }
            case SessionEvent::Kind::returned: {
                // A return comes before the confirm of its message, which then fails.
                const auto found = byMessageId_.find(event.messageId);
                if (found != byMessageId_.end())
                    if (auto batch = found->second.lock()) batch->returned = event.reason;
                break;
            }
            case SessionEvent::Kind::delivery:
                for (auto& consumer : consumers_) {
                    if (consumer.queue == event.delivery.queue) {
                        consumer.handler(std::move(event.delivery));
                        break;
                    }
                }
                break;
            case SessionEvent::Kind::blocked:
                // Publishes now wait for their confirm and time out: callers get 503s.
                if (onStatus_) onStatus_(true, "the broker blocks publishing: " + event.reason);
                break;
            case SessionEvent::Kind::unblocked:
                if (onStatus_) onStatus_(true, "the broker accepts publishing again");
                break;
        }
    }

    void finish(Batch& batch, std::exception_ptr error) {
        if (!batch.done) return;
        auto done = std::move(batch.done);
        batch.done = nullptr;
        for (const auto& id : batch.messageIds) byMessageId_.erase(id);
        done(error);
    }

    AmqpSession& session_;
    const LinkOptions& options_;
    std::vector<Consumer>& consumers_;
    const StatusHandler& onStatus_;
    std::map<std::uint64_t, std::shared_ptr<Batch>> pending_;  // by publish sequence number
    std::unordered_map<std::string, std::weak_ptr<Batch>> byMessageId_;
};

AmqpLink::AmqpLink(BrokerAddress address, Topology topology, LinkOptions options,
                   StatusHandler onStatus)
    : address_(std::move(address)),
      topology_(std::move(topology)),
      options_(std::move(options)),
      onStatus_(std::move(onStatus)),
      wakeFd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wakeFd_ < 0) throw std::runtime_error("eventfd failed");
    thread_ = std::thread([this] { run(); });
}

AmqpLink::~AmqpLink() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wakeFd_, &one, sizeof one);
    readyChanged_.notify_all();
    thread_.join();
    ::close(wakeFd_);
}

void AmqpLink::submit(Operation operation) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            operations_.push_back(std::move(operation));
            const std::uint64_t one = 1;
            [[maybe_unused]] const auto written = ::write(wakeFd_, &one, sizeof one);
            readyChanged_.notify_all();
            return;
        }
    }
    if (operation.done) operation.done(unavailable("the broker link is closed"));
}

void AmqpLink::publish(std::vector<Publication> publications, Confirmation done) {
    if (!ready_.load()) {
        done(unavailable("not connected to the broker"));
        return;
    }
    Operation operation;
    operation.kind = Operation::Kind::publish;
    operation.publications = std::move(publications);
    operation.done = std::move(done);
    submit(std::move(operation));
}

void AmqpLink::publishAndWait(std::vector<Publication> publications) {
    std::promise<void> confirmed;
    auto result = confirmed.get_future();
    publish(std::move(publications), [&confirmed](std::exception_ptr error) {
        if (error)
            confirmed.set_exception(error);
        else
            confirmed.set_value();
    });
    result.get();
}

void AmqpLink::consume(std::string queue, std::uint16_t prefetch, DeliveryHandler handler) {
    Operation operation;
    operation.kind = Operation::Kind::consume;
    operation.queue = std::move(queue);
    operation.prefetch = prefetch;
    operation.handler = std::move(handler);
    submit(std::move(operation));
}

void AmqpLink::ack(DeliveryRef ref) {
    Operation operation;
    operation.kind = Operation::Kind::ack;
    operation.ref = ref;
    submit(std::move(operation));
}

void AmqpLink::reject(DeliveryRef ref, bool requeue) {
    Operation operation;
    operation.kind = Operation::Kind::reject;
    operation.ref = ref;
    operation.requeue = requeue;
    submit(std::move(operation));
}

bool AmqpLink::waitReady(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return readyChanged_.wait_for(lock, timeout, [this] { return ready_.load() || stopping_; }) &&
           ready_.load();
}

void AmqpLink::run() {
    auto backoff = options_.reconnectInitial;
    std::vector<Operation> batch;
    // Takes the operations handed over so far; false once the link is stopping.
    auto takeOperations = [&] {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto n = ::read(wakeFd_, &count, sizeof count);
        std::lock_guard lock(mutex_);
        batch.clear();
        batch.swap(operations_);
        return !stopping_;
    };
    // Between connections: publishes fail at once, acks are moot (the deliveries are back
    // in their queues), consumers start with the next connection.
    auto refuseOperations = [&](const std::string& reason) {
        for (auto& operation : batch) {
            if (operation.done) operation.done(unavailable(reason));
            if (operation.kind == Operation::Kind::consume)
                consumers_.push_back(
                    {operation.queue, operation.prefetch, std::move(operation.handler)});
        }
        batch.clear();
    };

    while (true) {
        std::string reason;
        try {
            AmqpSession session(address_, topology_, sessions_.load() + 1, options_.heartbeat,
                                options_.connectTimeout, options_.rpcTimeout);
            for (const auto& consumer : consumers_)
                session.consume(consumer.queue, consumer.prefetch);
            Worker worker(session, options_, consumers_, onStatus_);
            ++sessions_;
            {
                std::lock_guard lock(mutex_);
                ready_ = true;
            }
            readyChanged_.notify_all();
            if (onStatus_) onStatus_(true, "connected to " + address_.redacted());
            backoff = options_.reconnectInitial;

            while (true) {
                const bool running = takeOperations();
                if (!running) {
                    refuseOperations("the broker link is closed");
                    break;
                }
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    try {
                        worker.apply(batch[i]);
                    } catch (...) {
                        // The connection broke: what was not applied fails with it.
                        batch.erase(batch.begin(), batch.begin() + static_cast<long>(i) + 1);
                        refuseOperations("lost the connection to the broker");
                        throw;
                    }
                }
                batch.clear();
                worker.drain();
                const auto untilDeadline = worker.expire();
                if (session.hasBuffered()) continue;
                pollfd fds[2] = {{session.fd(), POLLIN, 0}, {wakeFd_, POLLIN, 0}};
                const auto wait = std::min(untilDeadline, std::chrono::milliseconds(200));
                ::poll(fds, 2, static_cast<int>(wait.count()));
            }
            std::lock_guard lock(mutex_);
            ready_ = false;
            return;  // stopping; ~Worker fails what is unconfirmed
        } catch (const BrokerUnavailable& e) {
            reason = e.what();
        } catch (const std::exception& e) {
            reason = e.what();
        }
        {
            std::lock_guard lock(mutex_);
            ready_ = false;
        }
        readyChanged_.notify_all();
        if (onStatus_) onStatus_(false, reason);

        // Wait out the backoff, refusing whatever is handed over meanwhile.
        const auto until = Clock::now() + backoff;
        while (Clock::now() < until) {
            {
                std::unique_lock lock(mutex_);
                readyChanged_.wait_until(lock, until,
                                         [this] { return stopping_ || !operations_.empty(); });
            }
            const bool running = takeOperations();
            refuseOperations("not connected to the broker: " + reason);
            if (!running) return;
        }
        backoff = std::min(backoff * 2, options_.reconnectMax);
    }
}

}  // namespace flowgate::broker
