#include "runtime/work_item_context.hpp"

#include "log/log_fields.hpp"

namespace flowgate::runtime {

void WorkItemContext::log(LogLevel level, std::string_view text) {
    Poco::Message::Priority priority = Poco::Message::PRIO_INFORMATION;
    switch (level) {
        case LogLevel::debug:
            priority = Poco::Message::PRIO_DEBUG;
            break;
        case LogLevel::info:
            priority = Poco::Message::PRIO_INFORMATION;
            break;
        case LogLevel::warning:
            priority = Poco::Message::PRIO_WARNING;
            break;
        case LogLevel::error:
            priority = Poco::Message::PRIO_ERROR;
            break;
    }
    if (!logger_.is(priority)) return;
    std::string line;
    line.reserve(text.size() + flow_.id.size() + step_.id.size() + 4);
    line.append(flow_.id).append("/").append(step_.id).append(": ").append(text);
    log::logWith(logger_, priority, line, {flow_.id, step_.id, requestId_, attempt_});
}

AttachmentBytes WorkItemContext::readAttachment(const Attachment& attachment) const {
    try {
        return {attachments_.read(attachment, requestId_), {}};
    } catch (const std::exception& e) {
        return {{}, e.what()};
    }
}

}  // namespace flowgate::runtime
