// FrameWriter and FrameReader: what one writes the other reads back, and a reader never
// reads past the end of a frame, whatever its bytes say.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "ipc/frame_codec.hpp"

using namespace std::string_view_literals;
using flowgate::ipc::FrameReader;
using flowgate::ipc::FrameWriter;
using flowgate::ipc::LinkError;

TEST_CASE("frame codec: every kind of field reads back as written, extremes included",
          "[ipc]") {
    const std::string binary("\x00\xff\xfe\x80 not UTF-8 \xc3\x28", 17);
    FrameWriter out(64);
    out.u8(0xff);
    out.boolean(true);
    out.boolean(false);
    out.u32(std::numeric_limits<std::uint32_t>::max());
    out.i32(std::numeric_limits<std::int32_t>::min());
    out.i64(std::numeric_limits<std::int64_t>::min());
    out.u64(std::numeric_limits<std::uint64_t>::max());
    out.bytes("");
    out.bytes(binary);
    const std::string frame = std::move(out).finish();
    CHECK(frame.size() == 1 + 2 + 4 + 4 + 8 + 8 + 4 + 4 + binary.size());

    FrameReader in(frame);
    CHECK(in.u8() == 0xff);
    CHECK(in.boolean());
    CHECK_FALSE(in.boolean());
    CHECK(in.u32() == std::numeric_limits<std::uint32_t>::max());
    CHECK(in.i32() == std::numeric_limits<std::int32_t>::min());
    CHECK(in.i64() == std::numeric_limits<std::int64_t>::min());
    CHECK(in.u64() == std::numeric_limits<std::uint64_t>::max());
    CHECK(in.bytes().empty());
    CHECK(in.bytes() == binary);
    CHECK_NOTHROW(in.end());
}

TEST_CASE("frame codec: a read past the end of the frame is refused", "[ipc]") {
    CHECK_THROWS_AS(FrameReader(""sv).u8(), LinkError);
    CHECK_THROWS_AS(FrameReader("abc"sv).u32(), LinkError);
    CHECK_THROWS_AS(FrameReader("1234567"sv).i64(), LinkError);
    CHECK_THROWS_WITH(FrameReader("1234567"sv).u64(),
                      Catch::Contains("malformed frame on the local socket"));
}

TEST_CASE("frame codec: a length or count longer than the rest of the frame is refused",
          "[ipc]") {
    FrameWriter out(16);
    out.u32(5);  // a 5-byte string, of which 4 bytes follow
    const std::string cut = std::move(out).finish() + "abcd";
    CHECK_THROWS_WITH(FrameReader(cut).bytes(), Catch::Contains("longer than the rest"));

    FrameWriter exact(16);
    exact.bytes("abcd");
    const std::string whole = std::move(exact).finish();
    CHECK(FrameReader(whole).bytes() == "abcd");

    // A forged count: four billion elements of at least 8 bytes in a 12-byte frame.
    FrameWriter forged(16);
    forged.u32(std::numeric_limits<std::uint32_t>::max());
    forged.u64(0);
    const std::string frame = std::move(forged).finish();
    CHECK_THROWS_AS(FrameReader(frame).count(8), LinkError);
    CHECK_THROWS_AS(FrameReader(frame).count(1), LinkError);

    FrameWriter two(16);
    two.u32(2);
    two.u32(0);
    two.u32(0);
    const std::string pair = std::move(two).finish();
    CHECK(FrameReader(pair).count(4) == 2);
    CHECK_THROWS_AS(FrameReader(pair).count(5), LinkError);
}

TEST_CASE("frame codec: a flag other than 0 or 1, and bytes left over, are refused", "[ipc]") {
    CHECK_THROWS_AS(FrameReader("\x02"sv).boolean(), LinkError);
    FrameReader in("\x01x"sv);
    CHECK(in.boolean());
    CHECK_THROWS_WITH(in.end(), Catch::Contains("left over after the last field (1)"));
}
