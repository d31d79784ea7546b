// Frames over a local (unix) stream socket: a 4-byte big-endian length, then that many
// bytes (a body made with FrameWriter, see queue_wire.hpp). How the intake and its workers
// talk.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace flowgate::ipc {

// Frames carry a batch of work items at most; anything larger is a broken peer.
constexpr std::uint32_t kMaxFrameBytes = 256u * 1024 * 1024;

// The connection broke or carried something that is not a frame.
class LinkError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One end of a connection; owns the descriptor. send() and receive() may run on two
// threads at once, but each on one thread at a time.
class FrameSocket {
public:
    explicit FrameSocket(int fd) : fd_(fd) {}
    ~FrameSocket();
    FrameSocket(const FrameSocket&) = delete;
    FrameSocket& operator=(const FrameSocket&) = delete;

    // Sends one frame with `body`; throws LinkError (also for a body over kMaxFrameBytes).
    void send(std::string_view body);
    // The body of the next frame; nullopt once the peer closed the connection. Throws
    // LinkError.
    std::optional<std::string> receive();
    // Wakes a receive() blocked on another thread (it then returns nullopt).
    void shutdown();
    // The process at the other end (SO_PEERCRED).
    pid_t peerPid() const;

private:
    // Copies the next `size` bytes of the stream into `out`; false on a clean end of
    // stream before the first of them.
    bool read(char* out, std::size_t size);

    int fd_;
    // Bytes received and not yet returned, [begin_, end_) of inbox_: one recv brings a
    // frame's header with its body, and the frames that queued up meanwhile (a worker's
    // replies while the link thread was busy), instead of two calls per frame.
    std::unique_ptr<char[]> inbox_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

// A listening socket at `path` (a stale file there is replaced), readable by this user
// only. Returns the descriptor. Throws std::runtime_error.
int listenAt(const std::filesystem::path& path);
// Connects to `path`; throws LinkError.
int connectTo(const std::filesystem::path& path);

}  // namespace flowgate::ipc
