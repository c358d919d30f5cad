#include "agentproto/protocol.h"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sockerless::agentproto {
namespace {

namespace json = boost::json;

constexpr std::array kStreams = {Stream::in, Stream::out, Stream::err};

std::vector<unsigned char> make_frame(std::uint32_t session, Stream stream,
                                      std::string_view payload = {}) {
    unsigned char header[kDataHeaderSize];
    encode_data_header(session, stream, header);
    std::vector<unsigned char> frame(std::begin(header), std::end(header));
    for (char c : payload)
        frame.push_back(static_cast<unsigned char>(c));
    return frame;
}

std::vector<unsigned char> raw_frame(std::array<unsigned char, kDataHeaderSize> header,
                                     std::size_t payload_size = 0) {
    std::vector<unsigned char> frame(header.begin(), header.end());
    frame.resize(kDataHeaderSize + payload_size, 'x');
    return frame;
}

template <class T>
::testing::AssertionResult is_invalid(const Result<T>& result, std::string_view needle) {
    if (result.has_value()) return ::testing::AssertionFailure() << "the input was accepted";
    const Error& e = result.error();
    if (e.code != Errc::invalid_argument) {
        return ::testing::AssertionFailure()
               << "code is " << errc_name(e.code) << " (message: " << e.message << ")";
    }
    if (e.message.find(needle) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "message \"" << e.message << "\" does not mention " << needle;
    }
    return ::testing::AssertionSuccess();
}

// ---- field tuples, so gtest compares and prints whole messages ---------------------------

auto fields(const ExecRequest& m) {
    return std::tie(m.session, m.argv, m.env, m.workdir, m.user, m.tty, m.stdin, m.rows, m.cols,
                    m.window);
}
auto fields(const AttachRequest& m) {
    return std::tie(m.session, m.stdin, m.stdout, m.stderr, m.replay, m.window);
}
auto fields(const StartRequest& m) {
    return std::tie(m.session, m.argv, m.env);
}
auto fields(const CloseStdin& m) {
    return std::tie(m.session);
}
auto fields(const SignalRequest& m) {
    return std::tie(m.session, m.signal);
}
auto fields(const Resize& m) {
    return std::tie(m.session, m.rows, m.cols);
}
auto fields(const Window& m) {
    return std::tie(m.session, m.bytes);
}
auto fields(const Hello& m) {
    return std::tie(m.protocol, m.agent_version, m.window, m.features);
}
auto fields(const LogsRequest& m) {
    return std::tie(m.session, m.stdout, m.stderr, m.since, m.until, m.tail, m.follow, m.window);
}
auto fields(const LogsEnd& m) {
    return std::tie(m.session, m.dropped);
}
auto fields(const Started& m) {
    return std::tie(m.session, m.pid);
}
auto fields(const Exit& m) {
    return std::tie(m.session, m.code, m.signal);
}
auto fields(const ErrorMessage& m) {
    return std::tie(m.session, m.code, m.message);
}
auto fields(const Health& h) {
    return std::tie(h.ready, h.protocol, h.agent_version, h.keep_alive, h.main_pid, h.main_running,
                    h.main_exited, h.exit_code, h.runs);
}

template <class T>
std::optional<T> parse_client_as(std::string_view text) {
    auto parsed = parse_client_message(text);
    if (!parsed) {
        ADD_FAILURE() << "rejected " << text << ": " << parsed.error().message;
        return std::nullopt;
    }
    const T* m = std::get_if<T>(&*parsed);
    if (m == nullptr) {
        ADD_FAILURE() << "parsed " << text << " as alternative " << parsed->index();
        return std::nullopt;
    }
    return *m;
}

template <class T>
std::optional<T> parse_agent_as(std::string_view text) {
    auto parsed = parse_agent_message(text);
    if (!parsed) {
        ADD_FAILURE() << "rejected " << text << ": " << parsed.error().message;
        return std::nullopt;
    }
    const T* m = std::get_if<T>(&*parsed);
    if (m == nullptr) {
        ADD_FAILURE() << "parsed " << text << " as alternative " << parsed->index();
        return std::nullopt;
    }
    return *m;
}

template <class T>
void expect_client_round_trip(const T& sent) {
    std::string text = serialize(ClientMessage{sent});
    SCOPED_TRACE(text);
    auto got = parse_client_as<T>(text);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(fields(*got), fields(sent));
}

template <class T>
void expect_agent_round_trip(const T& sent) {
    std::string text = serialize(AgentMessage{sent});
    SCOPED_TRACE(text);
    auto got = parse_agent_as<T>(text);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(fields(*got), fields(sent));
}

std::string type_of(const std::string& text) {
    return std::string(json::parse(text).as_object().at("type").as_string());
}

// ---- data frames -------------------------------------------------------------------------

TEST(DataFrame, HeaderIsBigEndianSessionThenStream) {
    unsigned char header[kDataHeaderSize];
    encode_data_header(0x01020304u, Stream::err, header);
    EXPECT_EQ(header[0], 0x01);
    EXPECT_EQ(header[1], 0x02);
    EXPECT_EQ(header[2], 0x03);
    EXPECT_EQ(header[3], 0x04);
    EXPECT_EQ(header[4], 2);
    encode_data_header(7, Stream::in, header);
    EXPECT_EQ(header[4], 0);
    encode_data_header(7, Stream::out, header);
    EXPECT_EQ(header[4], 1);
}

TEST(DataFrame, RoundTripsEverySessionAndStream) {
    for (std::uint32_t session : {1u, 255u, 256u, 0xFFFFFFFFu}) {
        for (Stream stream : kStreams) {
            SCOPED_TRACE("session " + std::to_string(session) + " stream " +
                         std::to_string(static_cast<int>(stream)));
            auto frame = make_frame(session, stream, "hello");
            auto decoded = decode_data_frame(frame);
            ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
            EXPECT_EQ(decoded->session, session);
            EXPECT_EQ(decoded->stream, stream);
            ASSERT_EQ(decoded->payload.size(), 5u);
            EXPECT_EQ(decoded->payload.data(), frame.data() + kDataHeaderSize);
            EXPECT_EQ(std::string(decoded->payload.begin(), decoded->payload.end()), "hello");
        }
    }
}

TEST(DataFrame, AcceptsEmptyPayload) {
    auto frame = make_frame(42, Stream::in);
    auto decoded = decode_data_frame(frame);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(decoded->session, 42u);
    EXPECT_EQ(decoded->stream, Stream::in);
    EXPECT_TRUE(decoded->payload.empty());
}

TEST(DataFrame, RejectsFramesShorterThanHeader) {
    const std::vector<unsigned char> full = make_frame(1, Stream::out);
    for (std::size_t n = 0; n < kDataHeaderSize; ++n) {
        SCOPED_TRACE(n);
        std::span<const unsigned char> frame(full.data(), n);
        EXPECT_TRUE(is_invalid(decode_data_frame(frame), std::to_string(n) + " bytes"));
    }
}

TEST(DataFrame, RejectsSessionZero) {
    for (Stream stream : kStreams) {
        EXPECT_TRUE(is_invalid(decode_data_frame(make_frame(0, stream, "x")), "session 0"));
    }
}

TEST(DataFrame, RejectsUnknownStream) {
    EXPECT_TRUE(is_invalid(decode_data_frame(raw_frame({0, 0, 0, 1, 3})), "stream 3"));
    EXPECT_TRUE(is_invalid(decode_data_frame(raw_frame({0, 0, 0, 1, 255}, 4)), "stream 255"));
}

TEST(DataFrame, PayloadLimitIsInclusive) {
    auto at_limit = raw_frame({0, 0, 1, 0, 1}, kMaxDataPayload);
    auto decoded = decode_data_frame(at_limit);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(decoded->session, 256u);
    EXPECT_EQ(decoded->payload.size(), kMaxDataPayload);

    auto over = raw_frame({0, 0, 1, 0, 1}, kMaxDataPayload + 1);
    EXPECT_TRUE(is_invalid(decode_data_frame(over), std::to_string(kMaxDataPayload + 1)));
}

// ---- client messages ---------------------------------------------------------------------

TEST(ClientMessage, ExecRoundTripsEveryField) {
    ExecRequest m;
    m.session = 0xFFFFFFFFu;
    m.argv = {"sh", "-c", "echo \"hi\" \\ \xc3\xa9\n"};
    m.env = {"A=1", "EMPTY=", "PATH=/usr/bin:/bin"};
    m.workdir = "/srv/app";
    m.user = "1000:1000";
    m.tty = true;
    m.stdin = true;
    m.rows = 65535;
    m.cols = 80;
    m.window = 0xFFFFFFFFu;
    expect_client_round_trip(m);
    EXPECT_EQ(type_of(serialize(ClientMessage{m})), "exec");

    ExecRequest plain;
    plain.session = 1;
    plain.argv = {"true"};
    expect_client_round_trip(plain);
}

TEST(ClientMessage, ExecAppliesDefaults) {
    auto m = parse_client_as<ExecRequest>(R"({"type":"exec","session":5,"argv":["ls"]})");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->session, 5u);
    EXPECT_EQ(m->argv, std::vector<std::string>{"ls"});
    EXPECT_TRUE(m->env.empty());
    EXPECT_EQ(m->workdir, "");
    EXPECT_EQ(m->user, "");
    EXPECT_FALSE(m->tty);
    EXPECT_FALSE(m->stdin);
    EXPECT_EQ(m->rows, 0);
    EXPECT_EQ(m->cols, 0);
    EXPECT_EQ(m->window, kDefaultWindow);

    auto null_env =
        parse_client_as<ExecRequest>(R"({"type":"exec","session":5,"argv":["ls"],"env":null})");
    ASSERT_TRUE(null_env.has_value());
    EXPECT_TRUE(null_env->env.empty());
}

TEST(ClientMessage, AttachRoundTripsEveryField) {
    AttachRequest m;
    m.session = 9;
    m.stdin = true;
    m.stdout = false;
    m.stderr = false;
    m.replay = true;
    m.window = 1;
    expect_client_round_trip(m);
    EXPECT_EQ(type_of(serialize(ClientMessage{m})), "attach");

    expect_client_round_trip(AttachRequest{.session = 2});
}

TEST(ClientMessage, AttachAppliesDefaults) {
    auto m = parse_client_as<AttachRequest>(R"({"type":"attach","session":3})");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->session, 3u);
    EXPECT_FALSE(m->stdin);
    EXPECT_TRUE(m->stdout);
    EXPECT_TRUE(m->stderr);
    EXPECT_FALSE(m->replay);
    EXPECT_EQ(m->window, kDefaultWindow);

    auto only_stderr =
        parse_client_as<AttachRequest>(R"({"type":"attach","session":3,"stdout":false})");
    ASSERT_TRUE(only_stderr.has_value());
    EXPECT_FALSE(only_stderr->stdout);
    EXPECT_TRUE(only_stderr->stderr);
}

TEST(ClientMessage, StartRoundTrips) {
    expect_client_round_trip(
        StartRequest{.session = 1, .argv = {"nginx", "-g", "daemon off;"}, .env = {"X=y"}});
    StartRequest keep_previous;
    keep_previous.session = 1;
    expect_client_round_trip(keep_previous);
    EXPECT_EQ(type_of(serialize(ClientMessage{keep_previous})), "start");
}

TEST(ClientMessage, StartAllowsEmptyArgv) {
    auto m = parse_client_as<StartRequest>(R"({"type":"start","session":4})");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->session, 4u);
    EXPECT_TRUE(m->argv.empty());
    EXPECT_TRUE(m->env.empty());
}

TEST(ClientMessage, CloseStdinRoundTrips) {
    expect_client_round_trip(CloseStdin{.session = 77});
    EXPECT_EQ(type_of(serialize(ClientMessage{CloseStdin{.session = 77}})), "close-stdin");
}

TEST(ClientMessage, SignalRoundTrips) {
    for (int signal : {1, 9, 15, 64}) {
        expect_client_round_trip(SignalRequest{.session = 8, .signal = signal});
    }
    EXPECT_EQ(type_of(serialize(ClientMessage{SignalRequest{.session = 8, .signal = 2}})),
              "signal");
}

TEST(ClientMessage, ResizeRoundTrips) {
    expect_client_round_trip(Resize{.session = 6, .rows = 24, .cols = 80});
    expect_client_round_trip(Resize{.session = 6, .rows = 65535, .cols = 65535});
    EXPECT_EQ(type_of(serialize(ClientMessage{Resize{.session = 6}})), "resize");

    auto defaults = parse_client_as<Resize>(R"({"type":"resize","session":6})");
    ASSERT_TRUE(defaults.has_value());
    EXPECT_EQ(defaults->rows, 0);
    EXPECT_EQ(defaults->cols, 0);
}

TEST(ClientMessage, WindowRoundTrips) {
    expect_client_round_trip(Window{.session = 1, .bytes = 0});
    expect_client_round_trip(Window{.session = 0xFFFFFFFFu, .bytes = 0xFFFFFFFFu});
    EXPECT_EQ(type_of(serialize(ClientMessage{Window{.session = 1, .bytes = 1}})), "window");
}

TEST(ClientMessage, AgentOnlyTypesAreUnknown) {
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"hello","protocol":1})"), "hello"));
    EXPECT_TRUE(
        is_invalid(parse_client_message(R"({"type":"started","session":1,"pid":2})"), "started"));
}

// ---- client message errors ---------------------------------------------------------------

TEST(ClientMessageErrors, RejectsInvalidJson) {
    EXPECT_TRUE(is_invalid(parse_client_message("{"), "not valid JSON"));
    EXPECT_TRUE(is_invalid(parse_client_message(""), "not valid JSON"));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"exec",})"), "not valid JSON"));
}

TEST(ClientMessageErrors, RejectsNonObject) {
    for (std::string_view text : {"[]", "42", R"("exec")", "null", "true"}) {
        EXPECT_TRUE(is_invalid(parse_client_message(text), "JSON object")) << text;
    }
}

TEST(ClientMessageErrors, RejectsMissingOrNonStringType) {
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"session":1})"), "\"type\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":1,"session":1})"), "\"type\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":null,"session":1})"), "\"type\""));
}

TEST(ClientMessageErrors, RejectsUnknownType) {
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"bogus","session":1})"), "\"bogus\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"EXEC","session":1})"), "\"EXEC\""));
}

TEST(ClientMessageErrors, RejectsMissingSession) {
    for (std::string_view text : {
             R"({"type":"exec","argv":["sh"]})",
             R"({"type":"attach"})",
             R"({"type":"start"})",
             R"({"type":"close-stdin"})",
             R"({"type":"signal","signal":15})",
             R"({"type":"resize","rows":1,"cols":1})",
             R"({"type":"window","bytes":1})",
         }) {
        EXPECT_TRUE(is_invalid(parse_client_message(text), "lacks field \"session\"")) << text;
    }
}

TEST(ClientMessageErrors, RejectsSessionZero) {
    for (std::string_view text : {
             R"({"type":"exec","session":0,"argv":["sh"]})",
             R"({"type":"attach","session":0})",
             R"({"type":"start","session":0})",
             R"({"type":"close-stdin","session":0})",
             R"({"type":"signal","session":0,"signal":15})",
             R"({"type":"resize","session":0,"rows":1,"cols":1})",
             R"({"type":"window","session":0,"bytes":1})",
         }) {
        EXPECT_TRUE(is_invalid(parse_client_message(text), "\"session\" must not be 0")) << text;
    }
}

TEST(ClientMessageErrors, RejectsSessionOutsideUint32) {
    for (std::string_view text : {
             R"({"type":"close-stdin","session":-1})",
             R"({"type":"close-stdin","session":4294967296})",
             R"({"type":"close-stdin","session":1.5})",
             R"({"type":"close-stdin","session":"1"})",
         }) {
        EXPECT_TRUE(is_invalid(parse_client_message(text), "\"session\"")) << text;
    }
}

TEST(ClientMessageErrors, RejectsWrongFieldTypes) {
    struct Case {
        std::string_view json;
        std::string_view field;
    };
    for (const Case& c : {
             Case{R"({"type":"exec","session":1,"argv":"sh"})", "\"argv\""},
             Case{R"({"type":"exec","session":1,"argv":["sh",1]})", "\"argv\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"env":[true]})", "\"env\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"env":{}})", "\"env\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"tty":"true"})", "\"tty\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"stdin":1})", "\"stdin\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"workdir":5})", "\"workdir\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"user":null})", "\"user\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"rows":65536})", "\"rows\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"cols":-1})", "\"cols\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"window":-1})", "\"window\""},
             Case{R"({"type":"exec","session":1,"argv":["sh"],"window":4294967296})", "\"window\""},
             Case{R"({"type":"attach","session":1,"stdout":"no"})", "\"stdout\""},
             Case{R"({"type":"attach","session":1,"stderr":0})", "\"stderr\""},
             Case{R"({"type":"attach","session":1,"replay":[]})", "\"replay\""},
             Case{R"({"type":"attach","session":1,"window":-1})", "\"window\""},
             Case{R"({"type":"start","session":1,"argv":[null]})", "\"argv\""},
             Case{R"({"type":"resize","session":1,"rows":65536,"cols":1})", "\"rows\""},
             Case{R"({"type":"resize","session":1,"rows":1,"cols":100000})", "\"cols\""},
             Case{R"({"type":"window","session":1})", "\"bytes\""},
             Case{R"({"type":"window","session":1,"bytes":-5})", "\"bytes\""},
             Case{R"({"type":"signal","session":1})", "\"signal\""},
             Case{R"({"type":"signal","session":1,"signal":"TERM"})", "\"signal\""},
             Case{R"({"type":"signal","session":1,"signal":2.0})", "\"signal\""},
         }) {
        EXPECT_TRUE(is_invalid(parse_client_message(c.json), c.field)) << c.json;
    }
}

TEST(ClientMessageErrors, RejectsSignalOutOfRange) {
    for (std::string_view text : {
             R"({"type":"signal","session":1,"signal":0})",
             R"({"type":"signal","session":1,"signal":65})",
             R"({"type":"signal","session":1,"signal":-9})",
         }) {
        EXPECT_TRUE(is_invalid(parse_client_message(text), "signal")) << text;
        EXPECT_TRUE(is_invalid(parse_client_message(text), "out of range")) << text;
    }
    EXPECT_TRUE(
        is_invalid(parse_client_message(R"({"type":"signal","session":1,"signal":4294967296})"),
                   "\"signal\""));
}

TEST(ClientMessageErrors, RejectsExecWithoutArgv) {
    EXPECT_TRUE(
        is_invalid(parse_client_message(R"({"type":"exec","session":1,"argv":[]})"), "\"argv\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"exec","session":1})"), "\"argv\""));
    EXPECT_TRUE(
        is_invalid(parse_client_message(R"({"type":"exec","session":1,"argv":null})"), "\"argv\""));
}

std::string padded_close_stdin(std::size_t total) {
    const std::string head = R"({"type":"close-stdin","session":1,"pad":")";
    const std::string tail = R"("})";
    return head + std::string(total - head.size() - tail.size(), 'p') + tail;
}

TEST(ClientMessageErrors, ControlMessageLimitIsInclusive) {
    std::string at_limit = padded_close_stdin(kMaxControlMessage);
    ASSERT_EQ(at_limit.size(), kMaxControlMessage);
    auto m = parse_client_as<CloseStdin>(at_limit);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->session, 1u);

    std::string over = padded_close_stdin(kMaxControlMessage + 1);
    EXPECT_TRUE(is_invalid(parse_client_message(over), std::to_string(kMaxControlMessage + 1)));
    EXPECT_TRUE(is_invalid(parse_client_message(over), "exceeds"));
    EXPECT_TRUE(is_invalid(parse_agent_message(over), "exceeds"));
}

// ---- agent messages ----------------------------------------------------------------------

TEST(AgentMessage, HelloRoundTrips) {
    expect_agent_round_trip(Hello{.protocol = 1, .agent_version = "0.1.0", .window = 1234});
    expect_agent_round_trip(Hello{.protocol = 7, .agent_version = "", .window = 0xFFFFFFFFu});
    EXPECT_EQ(type_of(serialize(AgentMessage{Hello{}})), "hello");
}

TEST(AgentMessage, HelloAppliesDefaults) {
    auto m = parse_agent_as<Hello>(R"({"type":"hello","protocol":1})");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->protocol, 1);
    EXPECT_EQ(m->agent_version, "");
    EXPECT_EQ(m->window, kDefaultWindow);
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"hello"})"), "\"protocol\""));
}

TEST(AgentMessage, StartedRoundTrips) {
    expect_agent_round_trip(Started{.session = 3, .pid = 4242});
    expect_agent_round_trip(Started{.session = 0xFFFFFFFFu, .pid = 2147483647});
    EXPECT_EQ(type_of(serialize(AgentMessage{Started{}})), "started");
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"started","session":3})"), "\"pid\""));
}

TEST(AgentMessage, ExitRoundTrips) {
    expect_agent_round_trip(Exit{.session = 2, .code = 0, .signal = 0});
    expect_agent_round_trip(Exit{.session = 2, .code = 137, .signal = 9});
    expect_agent_round_trip(Exit{.session = 2, .code = -1, .signal = 0});
    EXPECT_EQ(type_of(serialize(AgentMessage{Exit{}})), "exit");
}

TEST(AgentMessage, ExitAppliesDefaults) {
    auto m = parse_agent_as<Exit>(R"({"type":"exit","session":2,"code":3})");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->session, 2u);
    EXPECT_EQ(m->code, 3);
    EXPECT_EQ(m->signal, 0);
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"exit","session":2})"), "\"code\""));
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"exit","code":1})"), "\"session\""));
}

TEST(AgentMessage, ErrorRoundTripsEveryCode) {
    for (Errc code : {Errc::invalid_argument, Errc::not_found, Errc::conflict, Errc::not_modified,
                      Errc::unauthorized, Errc::forbidden, Errc::unavailable, Errc::timeout,
                      Errc::not_implemented, Errc::internal}) {
        SCOPED_TRACE(std::string(errc_name(code)));
        expect_agent_round_trip(
            ErrorMessage{.session = 11, .code = code, .message = "it went \"wrong\""});
    }
    expect_agent_round_trip(ErrorMessage{.session = 0, .code = Errc::conflict, .message = ""});
    EXPECT_EQ(type_of(serialize(AgentMessage{ErrorMessage{}})), "error");
}

TEST(AgentMessage, ErrorAppliesDefaults) {
    auto m = parse_agent_as<ErrorMessage>(R"({"type":"error","message":"boom"})");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->session, 0u);
    EXPECT_EQ(m->code, Errc::internal);
    EXPECT_EQ(m->message, "boom");

    auto unknown = parse_agent_as<ErrorMessage>(
        R"({"type":"error","session":1,"code":"no-such-code","message":"x"})");
    ASSERT_TRUE(unknown.has_value());
    EXPECT_EQ(unknown->code, Errc::internal);

    auto no_message = parse_agent_as<ErrorMessage>(R"({"type":"error","session":1})");
    ASSERT_TRUE(no_message.has_value());
    EXPECT_EQ(no_message->message, "");

    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"error","message":5})"), "\"message\""));
    EXPECT_TRUE(
        is_invalid(parse_agent_message(R"({"type":"error","code":1,"message":"x"})"), "\"code\""));
}

TEST(AgentMessage, WindowRoundTrips) {
    expect_agent_round_trip(Window{.session = 1, .bytes = 65536});
    expect_agent_round_trip(Window{.session = 0xFFFFFFFFu, .bytes = 0});
    EXPECT_EQ(type_of(serialize(AgentMessage{Window{.session = 1}})), "window");
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"window","session":0,"bytes":1})"),
                           "\"session\""));
}

TEST(AgentMessageErrors, RejectsMalformedInput) {
    EXPECT_TRUE(is_invalid(parse_agent_message("nope"), "not valid JSON"));
    EXPECT_TRUE(is_invalid(parse_agent_message("[1]"), "JSON object"));
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"protocol":1})"), "\"type\""));
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"mystery"})"), "\"mystery\""));
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"exec","session":1,"argv":["sh"]})"),
                           "\"exec\""));
    EXPECT_TRUE(
        is_invalid(parse_agent_message(R"({"type":"hello","protocol":"1"})"), "\"protocol\""));
    EXPECT_TRUE(
        is_invalid(parse_agent_message(R"({"type":"hello","protocol":1,"agent":2})"), "\"agent\""));
    EXPECT_TRUE(is_invalid(
        parse_agent_message(R"({"type":"started","session":1,"pid":2147483648})"), "\"pid\""));
}

// ---- /health -----------------------------------------------------------------------------

TEST(Health, RoundTripsWithExitCode) {
    Health h{.ready = true,
             .protocol = 1,
             .agent_version = "0.1.0",
             .keep_alive = true,
             .main_pid = 0,
             .main_running = false,
             .main_exited = true,
             .exit_code = 137,
             .runs = 3};
    auto parsed = parse_health(serialize(h));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(fields(*parsed), fields(h));

    h.exit_code = 0;
    parsed = parse_health(serialize(h));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    ASSERT_TRUE(parsed->exit_code.has_value());
    EXPECT_EQ(*parsed->exit_code, 0);
}

TEST(Health, RoundTripsWithoutExitCode) {
    Health h{.ready = true,
             .protocol = 1,
             .agent_version = "dev",
             .keep_alive = false,
             .main_pid = 17,
             .main_running = true,
             .main_exited = false,
             .exit_code = std::nullopt,
             .runs = 1};
    std::string text = serialize(h);
    EXPECT_TRUE(json::parse(text).as_object().at("exitCode").is_null()) << text;
    auto parsed = parse_health(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(fields(*parsed), fields(h));
}

TEST(Health, AppliesDefaults) {
    auto parsed = parse_health(R"({"protocol":1})");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(fields(*parsed), fields(Health{}));
}

TEST(Health, RejectsMalformedAnswers) {
    EXPECT_TRUE(is_invalid(parse_health("<html>"), "JSON object"));
    EXPECT_TRUE(is_invalid(parse_health("[]"), "JSON object"));
    EXPECT_TRUE(is_invalid(parse_health("{}"), "\"protocol\""));
    EXPECT_TRUE(is_invalid(parse_health(R"({"protocol":1,"ready":"yes"})"), "\"ready\""));
    EXPECT_TRUE(is_invalid(parse_health(R"({"protocol":1,"exitCode":"1"})"), "\"exitCode\""));
    EXPECT_TRUE(is_invalid(parse_health(R"({"protocol":1,"runs":-0.5})"), "\"runs\""));
}

// ---- signals -----------------------------------------------------------------------------

TEST(Signal, ParsesNamesAndNumbers) {
    struct Case {
        std::string_view text;
        int number;
    };
    for (const Case& c : {
             Case{"SIGTERM", 15},
             Case{"TERM", 15},
             Case{"term", 15},
             Case{"sigterm", 15},
             Case{"15", 15},
             Case{"9", 9},
             Case{"SIGKILL", 9},
             Case{"kill", 9},
             Case{"1", 1},
             Case{"64", 64},
             Case{"SIGHUP", 1},
             Case{"SIGSYS", 31},
             Case{"SIGRTMIN", 34},
             Case{"SIGRTMIN+2", 36},
             Case{"rtmin+30", 64},
             Case{"SIGRTMAX", 64},
             Case{"RTMAX-1", 63},
             Case{"SIGRTMAX-30", 34},
         }) {
        auto parsed = parse_signal(c.text);
        ASSERT_TRUE(parsed.has_value()) << c.text << ": " << parsed.error().message;
        EXPECT_EQ(*parsed, c.number) << c.text;
    }
}

TEST(Signal, RejectsInvalidInput) {
    for (std::string_view text :
         {"", "0", "65", "-1", "SIGFOO", "12abc", "SIG", "SIGTERM ", " 15", "99999999999",
          "SIGRTMIN-1", "SIGRTMAX+1", "SIGRTMIN+", "SIGRTMIN+x", "RTMAX-31", "SIGRTMIN2",
          "SIGRTMIN--2", "SIGRTMAX+-2", "SIGRTMAX-+2"}) {
        EXPECT_TRUE(is_invalid(parse_signal(text), "")) << '"' << text << '"';
    }
    EXPECT_TRUE(is_invalid(parse_signal("SIGFOO"), "SIGFOO"));
    EXPECT_TRUE(is_invalid(parse_signal("65"), "65"));
}

TEST(Signal, NamesKnownNumbers) {
    EXPECT_EQ(signal_name(15), "SIGTERM");
    EXPECT_EQ(signal_name(9), "SIGKILL");
    EXPECT_EQ(signal_name(1), "SIGHUP");
    EXPECT_EQ(signal_name(31), "SIGSYS");
    EXPECT_EQ(signal_name(99), "");
    EXPECT_EQ(signal_name(0), "");
    EXPECT_EQ(signal_name(-15), "");
}

TEST(Signal, NamesParseBackToTheirNumbers) {
    for (int n = 1; n <= 31; ++n) {
        std::string_view name = signal_name(n);
        ASSERT_FALSE(name.empty()) << n;
        auto parsed = parse_signal(name);
        ASSERT_TRUE(parsed.has_value()) << name;
        EXPECT_EQ(*parsed, n) << name;
    }
}

}  // namespace
}  // namespace sockerless::agentproto

namespace sockerless::agentproto {
namespace {

// ---- logs (section 17) ---------------------------------------------------------------------

std::vector<unsigned char> make_log_frame(std::uint32_t session, Stream stream, std::int64_t time,
                                          std::string_view payload = {}) {
    unsigned char header[kLogHeaderSize];
    encode_log_header(session, stream, time, header);
    std::vector<unsigned char> frame(std::begin(header), std::end(header));
    for (char c : payload)
        frame.push_back(static_cast<unsigned char>(c));
    return frame;
}

TEST(LogFrame, HeaderIsTheDataHeaderThenBigEndianNanoseconds) {
    auto frame = make_log_frame(0x01020304, Stream::err, 0x1122334455667788, "x");
    std::vector<unsigned char> expected = {0x01, 0x02, 0x03, 0x04, 0x02, 0x11, 0x22,
                                           0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 'x'};
    EXPECT_EQ(frame, expected);
}

TEST(LogFrame, RoundTripsSessionsStreamsAndTimes) {
    for (std::uint32_t session : {1u, 0x80000000u, 0xFFFFFFFFu}) {
        for (Stream stream : {Stream::out, Stream::err}) {
            for (std::int64_t time :
                 {std::int64_t{0}, std::int64_t{1}, std::int64_t{1'700'000'000'123'456'789},
                  std::numeric_limits<std::int64_t>::max(), std::int64_t{-1}}) {
                auto frame = make_log_frame(session, stream, time, "line\n");
                auto decoded = decode_log_frame(frame);
                ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
                EXPECT_EQ(decoded->session, session);
                EXPECT_EQ(decoded->stream, stream);
                EXPECT_EQ(decoded->time, time);
                EXPECT_EQ(std::string(decoded->payload.begin(), decoded->payload.end()), "line\n");
            }
        }
    }
}

TEST(LogFrame, PayloadLimitExcludesTheTime) {
    auto frame = make_log_frame(1, Stream::out, 5);
    frame.resize(kLogHeaderSize + kMaxDataPayload, 'y');
    auto decoded = decode_log_frame(frame);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(decoded->payload.size(), kMaxDataPayload);
    frame.push_back('y');
    EXPECT_TRUE(is_invalid(decode_log_frame(frame), "exceeds"));
}

TEST(LogFrame, RejectsShortFramesSessionZeroAndStdin) {
    auto frame = make_log_frame(1, Stream::out, 5);
    frame.pop_back();
    EXPECT_TRUE(is_invalid(decode_log_frame(frame), "13-byte header"));
    EXPECT_TRUE(is_invalid(decode_log_frame(make_log_frame(0, Stream::out, 5)), "session 0"));
    EXPECT_TRUE(is_invalid(decode_log_frame(make_log_frame(1, Stream::in, 5)), "stream 0"));
    auto bad_stream = make_log_frame(1, Stream::out, 5);
    bad_stream[4] = 3;
    EXPECT_TRUE(is_invalid(decode_log_frame(bad_stream), "unknown stream 3"));
}

TEST(ClientMessage, LogsRoundTripsEveryField) {
    expect_client_round_trip(LogsRequest{.session = 9,
                                         .stdout = false,
                                         .stderr = true,
                                         .since = 1'700'000'000'000'000'001,
                                         .until = std::numeric_limits<std::int64_t>::max(),
                                         .tail = 0,
                                         .follow = true,
                                         .window = 65536});
    expect_client_round_trip(LogsRequest{.session = 0xFFFFFFFFu, .tail = 12345678901234ull});
    expect_client_round_trip(LogsRequest{.session = 1});
    EXPECT_EQ(type_of(serialize(ClientMessage{LogsRequest{.session = 1}})), "logs");
}

TEST(ClientMessage, LogsAppliesDefaults) {
    auto m = parse_client_as<LogsRequest>(R"({"type":"logs","session":3})");
    ASSERT_TRUE(m.has_value());
    EXPECT_TRUE(m->stdout);
    EXPECT_TRUE(m->stderr);
    EXPECT_EQ(m->since, 0);
    EXPECT_EQ(m->until, 0);
    EXPECT_FALSE(m->tail.has_value());
    EXPECT_FALSE(m->follow);
    EXPECT_EQ(m->window, kDefaultWindow);
    auto null_tail = parse_client_as<LogsRequest>(R"({"type":"logs","session":3,"tail":null})");
    ASSERT_TRUE(null_tail.has_value());
    EXPECT_FALSE(null_tail->tail.has_value());
    auto zero_tail = parse_client_as<LogsRequest>(R"({"type":"logs","session":3,"tail":0})");
    ASSERT_TRUE(zero_tail.has_value());
    EXPECT_EQ(zero_tail->tail, std::optional<std::uint64_t>(0));
}

TEST(ClientMessageErrors, RejectsMalformedLogs) {
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"logs"})"), "\"session\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"logs","session":0})"), "session"));
    EXPECT_TRUE(
        is_invalid(parse_client_message(R"({"type":"logs","session":1,"since":-1})"), "\"since\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"logs","session":1,"until":1.5})"),
                           "\"until\""));
    EXPECT_TRUE(
        is_invalid(parse_client_message(R"({"type":"logs","session":1,"tail":-3})"), "\"tail\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"logs","session":1,"tail":"all"})"),
                           "\"tail\""));
    EXPECT_TRUE(is_invalid(
        parse_client_message(R"({"type":"logs","session":1,"since":9223372036854775808})"),
        "\"since\""));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"logs","session":1,"follow":1})"),
                           "\"follow\""));
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"logs","session":1})"), "logs"));
}

TEST(AgentMessage, LogsEndRoundTripsAndDefaults) {
    expect_agent_round_trip(LogsEnd{.session = 4, .dropped = 0});
    expect_agent_round_trip(LogsEnd{.session = 0xFFFFFFFFu, .dropped = 1ull << 40});
    EXPECT_EQ(serialize(AgentMessage{LogsEnd{.session = 2, .dropped = 7}}),
              R"({"type":"logs-end","session":2,"dropped":7})");
    auto m = parse_agent_as<LogsEnd>(R"({"type":"logs-end","session":2})");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->dropped, 0u);
    EXPECT_TRUE(is_invalid(parse_agent_message(R"({"type":"logs-end","session":0})"), "session"));
    EXPECT_TRUE(is_invalid(parse_client_message(R"({"type":"logs-end","session":1})"), "logs-end"));
}

TEST(AgentMessage, HelloCarriesFeaturesAndOlderHellosHaveNone) {
    expect_agent_round_trip(Hello{.protocol = 1, .agent_version = "0.2.0", .features = {"logs"}});
    EXPECT_EQ(serialize(AgentMessage{Hello{.agent_version = "a", .features = {"logs"}}}),
              R"({"type":"hello","protocol":1,"agent":"a","window":4194304,"features":["logs"]})");
    auto old = parse_agent_as<Hello>(R"({"type":"hello","protocol":1,"agent":"0.1.0"})");
    ASSERT_TRUE(old.has_value());
    EXPECT_TRUE(old->features.empty());
    EXPECT_TRUE(is_invalid(
        parse_agent_message(R"({"type":"hello","protocol":1,"features":"logs"})"), "features"));
}

}  // namespace
}  // namespace sockerless::agentproto
