// The message that travels through a flow, and its JSON form (which is also how the
// queue stores it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowgate {

// A file that came with a request. Attachments are stored beside the queue and passed by
// reference; a step reads them through `ref`, never inline.
struct Attachment {
    std::string name;
    std::string contentType;
    std::uint64_t size = 0;
    std::string sha256;  // lower-case hex
    std::string ref;     // opaque to steps: where the engine keeps the bytes
};

struct Message {
    std::string id;                                          // set by the engine
    nlohmann::json body = nlohmann::json::object();          // the payload steps work on
    nlohmann::json headers = nlohmann::json::object();       // lower-cased names
    std::vector<Attachment> attachments;
    nlohmann::json meta = nlohmann::json::object();          // flow, requestId, method, query, ...
};

inline void to_json(nlohmann::json& j, const Attachment& a) {
    j = nlohmann::json{{"name", a.name},
                       {"contentType", a.contentType},
                       {"size", a.size},
                       {"sha256", a.sha256},
                       {"ref", a.ref}};
}

inline void from_json(const nlohmann::json& j, Attachment& a) {
    a.name = j.value("name", "");
    a.contentType = j.value("contentType", "");
    a.size = j.value("size", std::uint64_t{0});
    a.sha256 = j.value("sha256", "");
    a.ref = j.value("ref", "");
}

inline void to_json(nlohmann::json& j, const Message& m) {
    j = nlohmann::json{{"id", m.id},
                       {"body", m.body},
                       {"headers", m.headers},
                       {"attachments", m.attachments},
                       {"meta", m.meta}};
}

inline void from_json(const nlohmann::json& j, Message& m) {
    m.id = j.value("id", "");
    m.body = j.contains("body") ? j.at("body") : nlohmann::json::object();
    m.headers = j.contains("headers") ? j.at("headers") : nlohmann::json::object();
    m.attachments = j.contains("attachments") ? j.at("attachments").get<std::vector<Attachment>>()
                                              : std::vector<Attachment>{};
    m.meta = j.contains("meta") ? j.at("meta") : nlohmann::json::object();
}

}  // namespace flowgate
