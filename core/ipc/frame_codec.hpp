// The bytes inside one frame of the worker link: fixed-width integers and length-prefixed
// byte strings, written into one buffer and read back with every length checked.
//
// No format evolution: the link only ever joins processes of one binary (the intake
// starts its workers from its own executable), so both ends always agree on the layout.
// Integers are therefore in the machine's own byte order, and there are no field tags or
// versions. Change a layout freely, in queue_wire.cpp, on both sides at once.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ipc/frame_socket.hpp"

namespace flowgate::ipc {

// Appends to one buffer; reserve what the frame will need up front and nothing else
// allocates.
class FrameWriter {
public:
    explicit FrameWriter(std::size_t expectedBytes) { buffer_.reserve(expectedBytes); }

    // What bytes() adds for `text`, to size the buffer.
    static constexpr std::size_t sizeOf(std::string_view text) { return 4 + text.size(); }

    void u8(std::uint8_t value) { buffer_.push_back(static_cast<char>(value)); }
    void boolean(bool value) { u8(value ? 1 : 0); }
    void u32(std::uint32_t value) { fixed(value); }
    void i32(std::int32_t value) { fixed(value); }
    void i64(std::int64_t value) { fixed(value); }
    void u64(std::uint64_t value) { fixed(value); }
    // A u32 length, then the bytes as they are (any bytes, UTF-8 or not). Throws LinkError
    // for more than a frame can carry.
    void bytes(std::string_view text);

    // The frame's body, for FrameSocket::send.
    std::string finish() && { return std::move(buffer_); }

private:
    template <class T>
    void fixed(T value) {
        char raw[sizeof value];
        std::memcpy(raw, &value, sizeof value);
        buffer_.append(raw, sizeof value);
    }

    std::string buffer_;
};

// Reads a frame's body from the front. Input is hostile until read: every read is
// checked against the bytes left, and anything that does not fit, a value out of range or
// bytes left over throws LinkError; nothing is read past the end.
class FrameReader {
public:
    // Reads `body` in place: it must outlive the reader.
    explicit FrameReader(std::string_view body) : rest_(body) {}
    FrameReader(std::string&&) = delete;  // would read a temporary that is gone

    std::uint8_t u8() { return fixed<std::uint8_t>(); }
    bool boolean();
    std::uint32_t u32() { return fixed<std::uint32_t>(); }
    std::int32_t i32() { return fixed<std::int32_t>(); }
    std::int64_t i64() { return fixed<std::int64_t>(); }
    std::uint64_t u64() { return fixed<std::uint64_t>(); }
    // A string written by FrameWriter::bytes (its one allocation).
    std::string bytes();
    // The length of a list whose elements take at least `minBytes` (> 0) each on the wire;
    // refused if the rest of the frame cannot hold that many, so a forged count never
    // sizes an allocation.
    std::size_t count(std::size_t minBytes);
    // Throws unless the whole body was read: a frame is exactly its fields.
    void end() const;

    [[noreturn]] static void malformed(const std::string& what);

private:
    template <class T>
    T fixed() {
        T value;
        if (rest_.size() < sizeof value) malformed("cut short");
        std::memcpy(&value, rest_.data(), sizeof value);
        rest_.remove_prefix(sizeof value);
        return value;
    }

    std::string_view rest_;
};

}  // namespace flowgate::ipc
