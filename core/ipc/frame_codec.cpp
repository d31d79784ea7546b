#include "ipc/frame_codec.hpp"

namespace flowgate::ipc {

void FrameWriter::bytes(std::string_view text) {
    if (text.size() > kMaxFrameBytes)
        throw LinkError("a field of " + std::to_string(text.size()) +
                        " bytes does not fit in a frame of the local socket");
    u32(static_cast<std::uint32_t>(text.size()));
    buffer_.append(text);
}

bool FrameReader::boolean() {
    const auto value = u8();
    if (value > 1) malformed("a flag is neither 0 nor 1");
    return value == 1;
}

std::string FrameReader::bytes() {
    const std::uint32_t size = u32();
    if (size > rest_.size()) malformed("a field is longer than the rest of the frame");
    std::string text(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return text;
}

std::size_t FrameReader::count(std::size_t minBytes) {
    const std::uint32_t n = u32();
    if (n > rest_.size() / minBytes)
        malformed("a list is longer than the rest of the frame can hold");
    return n;
}

void FrameReader::end() const {
    if (!rest_.empty()) malformed("bytes left over after the last field (" + std::to_string(rest_.size()) + ")");
}

void FrameReader::malformed(const std::string& what) {
    throw LinkError("malformed frame on the local socket: " + what);
}

}  // namespace flowgate::ipc
