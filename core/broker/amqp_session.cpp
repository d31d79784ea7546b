#include "broker/amqp_session.hpp"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <deque>
#include <vector>

#include "broker/broker_error.hpp"

namespace flowgate::broker {

namespace {

constexpr amqp_channel_t kPublishChannel = 1;
constexpr amqp_channel_t kConsumeChannel = 2;

amqp_bytes_t bytesOf(const std::string& text) {
    return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string stringOf(amqp_bytes_t bytes) {
    return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

// An AMQP field table whose keys and values live as long as the object; rabbitmq-c only
// points into them while encoding a frame.
class FieldTable {
public:
    void add(std::string key, std::string value) {
        keys_.push_back(std::move(key));
        strings_.push_back(std::move(value));
        amqp_table_entry_t entry{};
        entry.key = bytesOf(keys_.back());
        entry.value.kind = AMQP_FIELD_KIND_UTF8;
        entry.value.value.bytes = bytesOf(strings_.back());
        entries_.push_back(entry);
    }
    void add(std::string key, std::int64_t value) {
        keys_.push_back(std::move(key));
        amqp_table_entry_t entry{};
        entry.key = bytesOf(keys_.back());
        entry.value.kind = AMQP_FIELD_KIND_I64;
        entry.value.value.i64 = value;
        entries_.push_back(entry);
    }
    amqp_table_t table() {
        return amqp_table_t{static_cast<int>(entries_.size()),
                            entries_.empty() ? nullptr : entries_.data()};
    }

private:
    std::deque<std::string> keys_;  // a deque keeps addresses stable as it grows
    std::deque<std::string> strings_;
    std::vector<amqp_table_entry_t> entries_;
};

FieldTable queueArguments(const QueueSpec& spec) {
    FieldTable args;
    if (spec.quorum) args.add("x-queue-type", std::string("quorum"));
    if (spec.messageTtlMs) args.add("x-message-ttl", *spec.messageTtlMs);
    if (spec.deliveryLimit) args.add("x-delivery-limit", *spec.deliveryLimit);
    if (spec.deadLetterExchange) args.add("x-dead-letter-exchange", *spec.deadLetterExchange);
    if (spec.atLeastOnceDeadLettering) {
        args.add("x-dead-letter-strategy", std::string("at-least-once"));
        args.add("x-overflow", std::string("reject-publish"));
    }
    return args;
}

std::optional<std::int64_t> integerOf(const amqp_field_value_t& value) {
    switch (value.kind) {
        case AMQP_FIELD_KIND_I8:
            return value.value.i8;
        case AMQP_FIELD_KIND_U8:
            return value.value.u8;
        case AMQP_FIELD_KIND_I16:
            return value.value.i16;
        case AMQP_FIELD_KIND_U16:
            return value.value.u16;
        case AMQP_FIELD_KIND_I32:
            return value.value.i32;
        case AMQP_FIELD_KIND_U32:
            return value.value.u32;
        case AMQP_FIELD_KIND_I64:
            return value.value.i64;
        case AMQP_FIELD_KIND_U64:
            return static_cast<std::int64_t>(value.value.u64);
        default:
            return std::nullopt;
    }
}

// Reads the content (header and body frames) that follows a basic.deliver or
// basic.return into a BrokerMessage; the x-delivery-count header goes to `deliveryCount`.
BrokerMessage readContent(amqp_connection_state_t connection, amqp_channel_t channel,
                          std::int64_t* deliveryCount) {
    amqp_message_t message;
    const amqp_rpc_reply_t reply = amqp_read_message(connection, channel, &message, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        throw BrokerUnavailable("lost the connection to the broker while reading a message");
    BrokerMessage out;
    out.body = stringOf(message.body);
    const amqp_basic_properties_t& p = message.properties;
    if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) out.messageId = stringOf(p.message_id);
    if (p._flags & AMQP_BASIC_REPLY_TO_FLAG) out.replyTo = stringOf(p.reply_to);
    if (p._flags & AMQP_BASIC_CORRELATION_ID_FLAG) out.correlationId = stringOf(p.correlation_id);
    if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
        for (int i = 0; i < p.headers.num_entries; ++i) {
            const amqp_table_entry_t& entry = p.headers.entries[i];
            const std::string key = stringOf(entry.key);
            if (entry.value.kind == AMQP_FIELD_KIND_UTF8 ||
                entry.value.kind == AMQP_FIELD_KIND_BYTES) {
                out.headers.emplace_back(key, stringOf(entry.value.value.bytes));
            } else if (key == "x-delivery-count" && deliveryCount != nullptr) {
                *deliveryCount = integerOf(entry.value).value_or(0);
            }
        }
    }
    amqp_destroy_message(&message);
    return out;
}

std::string serverReason(const amqp_rpc_reply_t& reply) {
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
        return amqp_error_string2(reply.library_error);
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
        if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            const auto* close = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
            return std::to_string(close->reply_code) + " " + stringOf(close->reply_text);
        }
        if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            const auto* close = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
            return std::to_string(close->reply_code) + " " + stringOf(close->reply_text);
        }
        return "the broker closed the channel";
    }
    return "no reply from the broker";
}

}  // namespace

namespace {

timeval timevalOf(std::chrono::milliseconds duration) {
    return timeval{static_cast<time_t>(duration.count() / 1000),
                   static_cast<suseconds_t>((duration.count() % 1000) * 1000)};
}

}  // namespace

AmqpSession::AmqpSession(const BrokerAddress& address, const Topology& topology, std::uint64_t id,
                         std::chrono::seconds heartbeat, std::chrono::milliseconds connectTimeout,
                         std::chrono::milliseconds rpcTimeout)
    : connection_(amqp_new_connection()), id_(id) {
    try {
        amqp_socket_t* socket = amqp_tcp_socket_new(connection_);
        if (socket == nullptr) throw BrokerUnavailable("cannot create a socket");
        timeval connect = timevalOf(connectTimeout);
        const int opened =
            amqp_socket_open_noblock(socket, address.host.c_str(), address.port, &connect);
        if (opened != AMQP_STATUS_OK) fail("cannot connect to " + address.redacted(), opened);
        // The handshake and every synchronous call (declares) are bounded, so a broker
        // that accepts but never answers cannot hang the link.
        timeval rpc = timevalOf(rpcTimeout);
        amqp_set_handshake_timeout(connection_, &rpc);
        amqp_set_rpc_timeout(connection_, &rpc);
        check(amqp_login(connection_, address.vhost.c_str(), 0, 131072,
                         static_cast<int>(heartbeat.count()), AMQP_SASL_METHOD_PLAIN,
                         address.user.c_str(), address.password.c_str()),
              "log in to " + address.redacted());
        amqp_channel_open(connection_, kPublishChannel);
        check(amqp_get_rpc_reply(connection_), "open the publish channel");
        amqp_confirm_select(connection_, kPublishChannel);
        check(amqp_get_rpc_reply(connection_), "enable publisher confirms");
        amqp_channel_open(connection_, kConsumeChannel);
        check(amqp_get_rpc_reply(connection_), "open the consume channel");
        declare(topology);
        verify(topology);
    } catch (...) {
        amqp_destroy_connection(connection_);
        throw;
    }
}

AmqpSession::~AmqpSession() {
    // No graceful close: the broker may be gone, and closing the socket is enough for it
    // to requeue this connection's unacked deliveries.
    amqp_destroy_connection(connection_);
}

void AmqpSession::fail(const std::string& what, int status) {
    throw BrokerUnavailable(what + ": " + amqp_error_string2(status));
}

void AmqpSession::check(amqp_rpc_reply_t reply, const std::string& what) {
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        throw BrokerUnavailable("cannot " + what + ": " + serverReason(reply));
}

void AmqpSession::declare(const Topology& topology) {
    for (const auto& exchange : topology.exchanges) {
        amqp_exchange_declare(connection_, kPublishChannel, bytesOf(exchange.name),
                              bytesOf(exchange.type), /*passive*/ 0, /*durable*/ 1,
                              /*auto_delete*/ 0, /*internal*/ 0, amqp_empty_table);
        check(amqp_get_rpc_reply(connection_), "declare exchange " + exchange.name);
    }
    for (const auto& queue : topology.queues) {
        FieldTable args = queueArguments(queue);
        amqp_queue_declare(connection_, kPublishChannel, bytesOf(queue.name), /*passive*/ 0,
                           /*durable*/ queue.exclusive ? 0 : 1, queue.exclusive ? 1 : 0,
                           /*auto_delete*/ queue.exclusive ? 1 : 0, args.table());
        check(amqp_get_rpc_reply(connection_), "declare queue " + queue.name);
    }
    for (const auto& binding : topology.bindings) {
        FieldTable args;
        if (!binding.matchHeaders.empty()) {
            args.add("x-match", std::string("all"));
            for (const auto& [key, value] : binding.matchHeaders) args.add(key, value);
        }
        amqp_queue_bind(connection_, kPublishChannel, bytesOf(binding.queue),
                        bytesOf(binding.exchange), bytesOf(binding.routingKey), args.table());
        check(amqp_get_rpc_reply(connection_), "bind queue " + binding.queue);
    }
}

void AmqpSession::verify(const Topology& topology) {
    for (const auto& queue : topology.queues) {
        amqp_queue_declare(connection_, kPublishChannel, bytesOf(queue.name), /*passive*/ 1, 0, 0,
                           0, amqp_empty_table);
        check(amqp_get_rpc_reply(connection_), "verify queue " + queue.name);
    }
}

void AmqpSession::consume(const std::string& queue, std::uint16_t prefetch) {
    amqp_basic_qos(connection_, kConsumeChannel, 0, prefetch, /*global*/ 0);
    check(amqp_get_rpc_reply(connection_), "set the prefetch for " + queue);
    const std::string tag = "flowgate." + queue;
    amqp_basic_consume(connection_, kConsumeChannel, bytesOf(queue), bytesOf(tag), /*no_local*/ 0,
                       /*no_ack*/ 0, /*exclusive*/ 0, amqp_empty_table);
    check(amqp_get_rpc_reply(connection_), "consume " + queue);
    queueOfConsumer_[tag] = queue;
}

std::uint64_t AmqpSession::publish(const Publication& publication) {
    const BrokerMessage& message = publication.message;
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    static const std::string kJson = "application/json";
    props.content_type = bytesOf(kJson);
    if (!message.messageId.empty()) {
        props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        props.message_id = bytesOf(message.messageId);
    }
    if (!message.replyTo.empty()) {
        props._flags |= AMQP_BASIC_REPLY_TO_FLAG;
        props.reply_to = bytesOf(message.replyTo);
    }
    if (!message.correlationId.empty()) {
        props._flags |= AMQP_BASIC_CORRELATION_ID_FLAG;
        props.correlation_id = bytesOf(message.correlationId);
    }
    FieldTable headers;
    for (const auto& [key, value] : message.headers) headers.add(key, value);
    if (!message.headers.empty()) {
        props._flags |= AMQP_BASIC_HEADERS_FLAG;
        props.headers = headers.table();
    }
    const int status =
        amqp_basic_publish(connection_, kPublishChannel, bytesOf(publication.exchange),
                           bytesOf(publication.routingKey), /*mandatory*/ 1,
                           /*immediate*/ 0, &props, bytesOf(message.body));
    if (status != AMQP_STATUS_OK) fail("cannot publish", status);
    return nextSequence_++;
}

void AmqpSession::ack(std::uint64_t tag) {
    const int status = amqp_basic_ack(connection_, kConsumeChannel, tag, 0);
    if (status != AMQP_STATUS_OK) fail("cannot ack", status);
}

void AmqpSession::reject(std::uint64_t tag, bool requeue) {
    const int status = amqp_basic_reject(connection_, kConsumeChannel, tag, requeue ? 1 : 0);
    if (status != AMQP_STATUS_OK) fail("cannot reject", status);
}

int AmqpSession::fd() const {
    return amqp_get_sockfd(connection_);
}

bool AmqpSession::hasBuffered() const {
    return amqp_frames_enqueued(connection_) || amqp_data_in_buffer(connection_);
}

std::optional<SessionEvent> AmqpSession::next() {
    while (true) {
        amqp_frame_t frame;
        timeval zero{0, 0};
        // Frames are decoded into the connection's pools: give them back when idle.
        amqp_maybe_release_buffers(connection_);
        const int status = amqp_simple_wait_frame_noblock(connection_, &frame, &zero);
        if (status == AMQP_STATUS_TIMEOUT) return std::nullopt;
        if (status != AMQP_STATUS_OK) fail("lost the connection to the broker", status);
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;  // stray content: ignore
        SessionEvent event;
        const amqp_method_t& method = frame.payload.method;
        switch (method.id) {
            case AMQP_BASIC_ACK_METHOD: {
                const auto* ack = static_cast<amqp_basic_ack_t*>(method.decoded);
                event.kind = SessionEvent::Kind::ack;
                event.tag = ack->delivery_tag;
                event.multiple = ack->multiple != 0;
                return event;
            }
            case AMQP_BASIC_NACK_METHOD: {
                const auto* nack = static_cast<amqp_basic_nack_t*>(method.decoded);
                event.kind = SessionEvent::Kind::nack;
                event.tag = nack->delivery_tag;
                event.multiple = nack->multiple != 0;
                return event;
            }
            case AMQP_BASIC_RETURN_METHOD: {
                const auto* returned = static_cast<amqp_basic_return_t*>(method.decoded);
                event.kind = SessionEvent::Kind::returned;
                event.reason =
                    std::to_string(returned->reply_code) + " " + stringOf(returned->reply_text);
                event.messageId = readContent(connection_, frame.channel, nullptr).messageId;
                return event;
            }
            case AMQP_BASIC_DELIVER_METHOD: {
                const auto* deliver = static_cast<amqp_basic_deliver_t*>(method.decoded);
                event.kind = SessionEvent::Kind::delivery;
                event.delivery = readDelivery(*deliver, frame.channel);
                return event;
            }
            case AMQP_CONNECTION_BLOCKED_METHOD: {
                const auto* blocked = static_cast<amqp_connection_blocked_t*>(method.decoded);
                event.kind = SessionEvent::Kind::blocked;
                event.reason = stringOf(blocked->reason);
                return event;
            }
            case AMQP_CONNECTION_UNBLOCKED_METHOD:
                event.kind = SessionEvent::Kind::unblocked;
                return event;
            case AMQP_CHANNEL_CLOSE_METHOD: {
                const auto* close = static_cast<amqp_channel_close_t*>(method.decoded);
                throw BrokerUnavailable(
                    "the broker closed a channel: " + std::to_string(close->reply_code) + " " +
                    stringOf(close->reply_text));
            }
            case AMQP_CONNECTION_CLOSE_METHOD: {
                const auto* close = static_cast<amqp_connection_close_t*>(method.decoded);
                throw BrokerUnavailable(
                    "the broker closed the connection: " + std::to_string(close->reply_code) + " " +
                    stringOf(close->reply_text));
            }
            case AMQP_BASIC_CANCEL_METHOD:
                // The queue went away under a consumer: a new session declares it again.
                throw BrokerUnavailable("the broker cancelled a consumer");
            default:
                continue;
        }
    }
}

Delivery AmqpSession::readDelivery(const amqp_basic_deliver_t& method, amqp_channel_t channel) {
    Delivery delivery;
    delivery.ref = DeliveryRef{id_, method.delivery_tag};
    delivery.redelivered = method.redelivered != 0;
    const auto consumer = queueOfConsumer_.find(stringOf(method.consumer_tag));
    if (consumer != queueOfConsumer_.end()) delivery.queue = consumer->second;
    delivery.message = readContent(connection_, channel, &delivery.deliveryCount);
    return delivery;
}

}  // namespace flowgate::broker
