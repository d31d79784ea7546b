// FrameSocket over a real unix socket pair: frames arrive whole and unchanged, and a
// length the frame limit refuses, or a peer that stops mid-frame, is the link's error.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ipc/frame_socket.hpp"

using flowgate::ipc::FrameSocket;
using flowgate::ipc::kMaxFrameBytes;
using flowgate::ipc::LinkError;

namespace {

struct SocketPair {
    int fds[2];
    SocketPair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0); }
};

void writeRaw(int fd, const std::string& bytes) {
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

std::string header(std::uint32_t size) {
    return {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
            static_cast<char>(size >> 8), static_cast<char>(size)};
}

}  // namespace

TEST_CASE("frame socket: frames arrive whole and unchanged, in order", "[ipc]") {
    SocketPair pair;
    FrameSocket a(pair.fds[0]);
    FrameSocket b(pair.fds[1]);

    std::string large(4 * 1024 * 1024, '\0');  // more than the socket buffers hold
    std::mt19937 random(3);
    for (auto& c : large) c = static_cast<char>(random());
    const std::string binary("\x00\xff\x00", 3);

    std::thread sender([&] {
        a.send("");
        a.send(binary);
        a.send(large);
    });
    CHECK(b.receive() == std::string());
    CHECK(b.receive() == binary);
    CHECK(b.receive() == large);
    sender.join();
    CHECK(b.peerPid() == ::getpid());
}

TEST_CASE("frame socket: frames that arrive together or cut anywhere are each returned whole",
          "[ipc]") {
    SocketPair pair;
    FrameSocket b(pair.fds[1]);
    // Around the size one read takes at most, and far beyond it.
    std::vector<std::string> frames;
    std::mt19937 random(7);
    for (std::size_t size : {0u, 1u, 5u, 65531u, 65532u, 65536u, 3u, 200000u, 2u}) {
        std::string body(size, '\0');
        for (auto& c : body) c = static_cast<char>(random());
        frames.push_back(std::move(body));
    }
    std::string stream;
    for (const auto& frame : frames)
        stream += header(static_cast<std::uint32_t>(frame.size())) + frame;

    for (std::size_t chunk : {std::size_t{1} << 30, std::size_t{7}, std::size_t{40000}}) {
        INFO("written " << chunk << " bytes at a time");
        std::thread sender([&] {
            for (std::size_t at = 0; at < stream.size(); at += chunk)
                writeRaw(pair.fds[0], stream.substr(at, chunk));
        });
        for (const auto& frame : frames) CHECK(b.receive() == frame);
        sender.join();
    }
    ::close(pair.fds[0]);
    CHECK_FALSE(b.receive().has_value());
}

TEST_CASE("frame socket: a clean close ends the stream, a close mid-frame is an error",
          "[ipc]") {
    SECTION("closed between frames") {
        SocketPair pair;
        FrameSocket b(pair.fds[1]);
        ::close(pair.fds[0]);
        CHECK_FALSE(b.receive().has_value());
    }
    SECTION("closed in the header") {
        SocketPair pair;
        FrameSocket b(pair.fds[1]);
        writeRaw(pair.fds[0], header(10).substr(0, 2));
        ::close(pair.fds[0]);
        CHECK_THROWS_AS(b.receive(), LinkError);
    }
    SECTION("closed in the body") {
        SocketPair pair;
        FrameSocket b(pair.fds[1]);
        writeRaw(pair.fds[0], header(10) + "abc");
        ::close(pair.fds[0]);
        CHECK_THROWS_WITH(b.receive(), Catch::Contains("in the middle of a frame"));
    }
}

TEST_CASE("frame socket: a frame longer than the limit is refused before it is read", "[ipc]") {
    SocketPair pair;
    FrameSocket b(pair.fds[1]);
    writeRaw(pair.fds[0], header(kMaxFrameBytes + 1));
    CHECK_THROWS_WITH(b.receive(), Catch::Contains("too large"));
    ::close(pair.fds[0]);
}
