// What jq transform steps do with messages: reshaping, several or no outputs, the whole
// message as input, run-time errors, and how values cross between JSON and jq.
#include <cfloat>
#include <string>

#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::Attachment;
using flowgate::LogLevel;
using flowgate::Message;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

namespace {

Message sampleMessage(json body) {
    Message message;
    message.id = "msg-1";
    message.body = std::move(body);
    message.headers = {{"content-type", "application/json"}, {"x-count", "3"}};
    message.meta = {{"flow", "blog-to-twitter"}, {"requestId", "req-7"}};
    message.attachments.push_back({"a.txt", "text/plain", 5, std::string(64, 'a'), "ref-1"});
    return message;
}

void requireSameExceptBody(const Message& output, const Message& input) {
    CHECK(output.id == input.id);
    CHECK(output.headers == input.headers);
    CHECK(output.meta == input.meta);
    CHECK(json(output.attachments) == json(input.attachments));
}

}  // namespace

TEST_CASE("jq transform reshapes the body", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    auto step = makeStep(*jq, "transform", {{"expression", "{text: .title}"}});
    const Message input = sampleMessage({{"title", "Hello"}});
    RecordingStepContext context;

    const auto result = step->execute(input, context);

    INFO(result.error);
    REQUIRE(result.ok);
    REQUIRE(context.emitted().size() == 1);
    CHECK(context.emitted()[0].output == "default");
    CHECK(context.emitted()[0].message.body == json{{"text", "Hello"}});
    requireSameExceptBody(context.emitted()[0].message, input);
}

TEST_CASE("jq transform emits one message per output, in order, and none for none",
          "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    const Message input = sampleMessage({{"items", {{{"n", 1}}, {{"n", 2}}, {{"n", 3}}}}});
    RecordingStepContext context;

    SECTION("several outputs") {
        auto step = makeStep(*jq, "transform", {{"expression", ".items[] | {n2: (.n * 2)}"}});
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.emitted().size() == 3);
        for (int i = 0; i < 3; ++i) {
            CHECK(context.emitted()[i].message.body == json{{"n2", 2 * (i + 1)}});
            requireSameExceptBody(context.emitted()[i].message, input);
        }
    }
    SECTION("no output ends the branch without an error") {
        auto step = makeStep(*jq, "transform", {{"expression", ".items[] | select(.n > 5)"}});
        const auto result = step->execute(input, context);
        CHECK(result.ok);
        CHECK(context.emitted().empty());
    }
    SECTION("halt ends the outputs without an error") {
        auto step = makeStep(*jq, "transform", {{"expression", "1, halt, 2"}});
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].message.body == 1);
    }
}

TEST_CASE("jq transform caps the outputs of one run", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    RecordingStepContext context;

    auto atCap = makeStep(*jq, "transform", {{"expression", "range(10000)"}});
    REQUIRE(atCap->execute(sampleMessage({}), context).ok);
    CHECK(context.emitted().size() == 10000);
    CHECK(context.emitted().back().message.body == 9999);

    context.clear();
    auto runaway = makeStep(*jq, "transform", {{"expression", "repeat(1)"}});
    const auto result = runaway->execute(sampleMessage({}), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("more than 10000 outputs"));
    CHECK(context.emitted().empty());
}

TEST_CASE("jq transform with scope message sees and shapes the whole message",
          "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    const Message input = sampleMessage({{"title", "Hello"}});
    RecordingStepContext context;

    SECTION("the program reads every field") {
        auto step = makeStep(*jq, "transform",
                             {{"expression",
                               "{body: {title: .body.title, count: (.headers[\"x-count\"] | "
                               "tonumber), request: .meta.requestId, id, files: "
                               "[.attachments[].name]}}"},
                              {"scope", "message"}});
        const auto result = step->execute(input, context);
        INFO(result.error);
        REQUIRE(result.ok);
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].message.body == json{{"title", "Hello"},
                                                        {"count", 3},
                                                        {"request", "req-7"},
                                                        {"id", "msg-1"},
                                                        {"files", {"a.txt"}}});
        requireSameExceptBody(context.emitted()[0].message, input);
    }
    SECTION("an output replaces the headers and meta it holds and keeps the rest") {
        auto step = makeStep(
            *jq, "transform",
            {{"expression", ".meta.shaped = true | .headers = {\"x-new\": \"1\"}"},
             {"scope", "message"}});
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.emitted().size() == 1);
        const Message& output = context.emitted()[0].message;
        CHECK(output.headers == json{{"x-new", "1"}});
        CHECK(output.meta == json{{"flow", "blog-to-twitter"}, {"requestId", "req-7"},
                                  {"shaped", true}});
        CHECK(output.body == input.body);
        CHECK(output.id == input.id);
        CHECK(json(output.attachments) == json(input.attachments));
    }
    SECTION("an output with only a body changes only the body") {
        auto step =
            makeStep(*jq, "transform", {{"expression", "{body: 7}"}, {"scope", "message"}});
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].message.body == 7);
        requireSameExceptBody(context.emitted()[0].message, input);
    }
    SECTION("outputs that are not messages fail the attempt") {
        struct Case {
            const char* expression;
            const char* error;
        };
        for (const Case& c : {Case{".body.title", "must be an object"},
                              Case{"{bdy: 1}", "unknown message field \"bdy\""},
                              Case{".id = \"other\"", "cannot change the id"},
                              Case{".attachments = []", "cannot change the attachments"},
                              Case{".headers = 5", "\"headers\" must be an object"}}) {
            auto step =
                makeStep(*jq, "transform", {{"expression", c.expression}, {"scope", "message"}});
            context.clear();
            const auto result = step->execute(input, context);
            INFO(c.expression << " -> " << result.error);
            CHECK_FALSE(result.ok);
            CHECK_THAT(result.error, Catch::Contains(c.error));
        }
    }
}

TEST_CASE("jq transform run-time errors fail the attempt with jq's message",
          "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    const Message input = sampleMessage({{"title", "Hello"}});
    RecordingStepContext context;

    SECTION("an error of the program") {
        auto step = makeStep(*jq, "transform", {{"expression", ".title.x"}});
        const auto result = step->execute(input, context);
        CHECK_FALSE(result.ok);
        CHECK(result.error == "jq: error: Cannot index string with string \"x\"");
    }
    SECTION("an error value that is not a string") {
        auto step = makeStep(*jq, "transform", {{"expression", "error({code: 42})"}});
        const auto result = step->execute(input, context);
        CHECK_FALSE(result.ok);
        CHECK(result.error == "jq: error (not a string): {\"code\":42}");
    }
    SECTION("halt_error") {
        auto step = makeStep(*jq, "transform", {{"expression", "\"bye\\n\" | halt_error"}});
        const auto result = step->execute(input, context);
        CHECK_FALSE(result.ok);
        CHECK(result.error == "jq: error: program halted with exit code 5: bye");
    }
    SECTION("failed and halted runs leave the step usable") {
        // A halted jq 1.6 state cannot be reset safely; the step must replace it.
        auto step = makeStep(*jq, "transform",
                             {{"expression", "if .fail then error(\"asked to\") "
                                             "elif .halt then \"bye\" | halt_error else .n end"}});
        for (int i = 0; i < 3; ++i) {
            context.clear();
            CHECK(step->execute(sampleMessage({{"fail", true}}), context).error ==
                  "jq: error: asked to");
            CHECK(step->execute(sampleMessage({{"halt", true}}), context).error ==
                  "jq: error: program halted with exit code 5: bye");
            REQUIRE(context.emitted().empty());
            REQUIRE(step->execute(sampleMessage({{"n", i}}), context).ok);
            REQUIRE(context.emitted().size() == 1);
            CHECK(context.emitted()[0].message.body == i);
        }
    }
    SECTION("nesting too deep for the conversion fails cleanly") {
        auto step =
            makeStep(*jq, "transform", {{"expression", "reduce range(5000) as $i (0; [.])"}});
        const auto result = step->execute(input, context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error, Catch::Contains("nested deeper than"));
    }
}

TEST_CASE("jq transform keeps values intact between JSON and jq", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    RecordingStepContext context;

    SECTION("identity gives back the same document") {
        const json body = {{"text", "h\xC3\xA9llo \xE2\x9C\x93"},
                           {"nul", std::string("a \0 inside", 10)},
                           {"int", 42},
                           {"negative", -7},
                           {"unsigned", 4000000000u},
                           {"float", 0.5},
                           {"big", 1e300},
                           {"flags", {true, false, nullptr}},
                           {"nested", {{"a", {1, {{"b", json::object()}}, json::array()}}}},
                           {"", "empty key"}};
        auto step = makeStep(*jq, "transform", {{"expression", "."}});
        REQUIRE(step->execute(sampleMessage(body), context).ok);
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].message.body == body);
        CHECK(context.emitted()[0].message.body["nul"].get<std::string>().size() == 10);
    }
    SECTION("numbers: integral ones that fit stay integers, others are doubles") {
        auto step = makeStep(
            *jq, "transform",
            {{"expression", "[1, 2.5, 1e3, -0, 1/3, 1e20, 9007199254740993, infinite, "
                            "-infinite, nan, 3.0]"}});
        REQUIRE(step->execute(sampleMessage({}), context).ok);
        REQUIRE(context.emitted().size() == 1);
        const json& out = context.emitted()[0].message.body;
        CHECK(out[0].is_number_integer());
        CHECK(out[0] == 1);
        CHECK(out[1].is_number_float());
        CHECK(out[1] == 2.5);
        CHECK(out[2].is_number_integer());
        CHECK(out[2] == 1000);
        CHECK(out[3].is_number_integer());
        CHECK(out[3] == 0);
        CHECK(out[4].is_number_float());
        CHECK(out[4].get<double>() == Approx(1.0 / 3));
        CHECK(out[5].is_number_float());  // beyond int64
        CHECK(out[5].get<double>() == 1e20);
        CHECK(out[6].is_number_integer());  // jq 1.6 numbers are doubles: precision is lost
        CHECK(out[6] == 9007199254740992);
        CHECK(out[7] == DBL_MAX);  // as jq prints infinite
        CHECK(out[8] == -DBL_MAX);
        CHECK(out[9].is_null());
        CHECK(out[10].is_number_integer());
        CHECK(out[10] == 3);
    }
    SECTION("strings are UTF-8 both ways") {
        auto step = makeStep(*jq, "transform",
                             {{"expression", "{length: (.s | length), upper: (.s | ascii_upcase), "
                                             "made: \"\\u00e9\\u2713\"}"}});
        REQUIRE(step->execute(sampleMessage({{"s", "\xC3\xA9t\xC3\xA9"}}), context).ok);
        const json& out = context.emitted()[0].message.body;
        CHECK(out["length"] == 3);  // code points, not bytes
        CHECK(out["upper"] == "\xC3\xA9T\xC3\xA9");
        CHECK(out["made"] == "\xC3\xA9\xE2\x9C\x93");
    }
}

TEST_CASE("jq debug output goes to the step's log", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    auto step = makeStep(*jq, "transform", {{"expression", ".title | debug | ascii_downcase"}});
    RecordingStepContext context;

    REQUIRE(step->execute(sampleMessage({{"title", "Hello"}}), context).ok);

    REQUIRE(context.logs().size() == 1);
    CHECK(context.logs()[0].level == LogLevel::debug);
    CHECK(context.logs()[0].text == "jq debug: \"Hello\"");
    CHECK(context.emitted()[0].message.body == "hello");
}
