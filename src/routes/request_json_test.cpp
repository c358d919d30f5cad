#include "routes/request_json.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sockerless::routes {
namespace {

namespace json = boost::json;

json::object object_of(std::string_view text) {
    return json::parse(text).as_object();
}

// The message of a failed read, or "" when it succeeded.
std::string message_of(const Status& st) {
    return st ? std::string() : st.error().message;
}

TEST(ParseBody, EmptyBodyIsDockersEofErrorUnlessAllowed) {
    for (std::string_view body : {"", "  \r\n\t"}) {
        auto refused = parse_body(body, false);
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code, Errc::invalid_argument);
        EXPECT_EQ(refused.error().message, "invalid JSON: got EOF while reading request body");

        auto allowed = parse_body(body, true);
        ASSERT_TRUE(allowed);
        EXPECT_TRUE(allowed->empty());
    }
}

TEST(ParseBody, NullIsAnEmptyObject) {
    auto parsed = parse_body("null", false);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->empty());
}

TEST(ParseBody, ObjectIsReturnedAsIs) {
    auto parsed = parse_body(R"( {"Image": "busybox", "Cmd": ["true"]} )", false);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, object_of(R"({"Image":"busybox","Cmd":["true"]})"));
}

TEST(ParseBody, MalformedJsonIsInvalidJson) {
    for (std::string_view body : {"{x}", "{\"Image\" \"busybox\"}", "[1,]", "nul"}) {
        auto parsed = parse_body(body, false);
        ASSERT_FALSE(parsed) << body;
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
        EXPECT_TRUE(parsed.error().message.starts_with("invalid JSON: ")) << parsed.error().message;
    }
}

TEST(ParseBody, TruncatedJsonIsUnexpectedEof) {
    auto parsed = parse_body(R"({"Image": "busybox")", false);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message, "invalid JSON: unexpected EOF");
}

TEST(ParseBody, ContentAfterTheValueIsRefused) {
    auto parsed = parse_body(R"({"Image": "busybox"} {})", false);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
    EXPECT_EQ(parsed.error().message, "unexpected content after JSON");

    EXPECT_TRUE(parse_body("{}\n\n", false));
}

TEST(ParseBody, NonObjectIsATypeError) {
    for (auto [body, kind] : {std::pair{"[]", "array"}, std::pair{"\"x\"", "string"},
                              std::pair{"1", "number"}, std::pair{"true", "bool"}}) {
        auto parsed = parse_body(body, false);
        ASSERT_FALSE(parsed) << body;
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
        EXPECT_TRUE(parsed.error().message.starts_with(std::string("invalid JSON: json: cannot "
                                                                   "unmarshal ") +
                                                       kind + " into Go value of type "))
            << parsed.error().message;
    }
}

TEST(JsonReader, AbsentAndNullLeaveTheTargetAlone) {
    const json::object o = object_of(R"({"S": null, "B": null, "I": null, "V": null, "M": null})");
    JsonReader r(o, "T");
    std::string s = "kept";
    bool b = true;
    std::int64_t i = 7;
    int n = 3;
    std::optional<int> opt;
    std::vector<std::string> v{"kept"};
    std::map<std::string, std::string> m{{"k", "v"}};
    std::set<std::string> keys{"k"};
    std::optional<std::vector<std::string>> slice;
    for (std::string_view key : {"S", "Absent"}) {
        EXPECT_TRUE(r.read(key, s));
        EXPECT_TRUE(r.read(key, b));
        EXPECT_TRUE(r.read(key, i));
        EXPECT_TRUE(r.read(key, n));
        EXPECT_TRUE(r.read(key, opt));
        EXPECT_TRUE(r.read(key, v));
        EXPECT_TRUE(r.read(key, m));
        EXPECT_TRUE(r.read_keys(key, keys));
        EXPECT_TRUE(r.read_strslice(key, slice));
        auto obj = r.object(key);
        ASSERT_TRUE(obj);
        EXPECT_EQ(*obj, nullptr);
    }
    EXPECT_EQ(s, "kept");
    EXPECT_TRUE(b);
    EXPECT_EQ(i, 7);
    EXPECT_EQ(n, 3);
    EXPECT_FALSE(opt);
    EXPECT_EQ(v, std::vector<std::string>{"kept"});
    EXPECT_EQ(m.size(), 1U);
    EXPECT_EQ(keys.size(), 1U);
    EXPECT_FALSE(slice);
    EXPECT_TRUE(r.first_error());
}

TEST(JsonReader, ReadsEveryKind) {
    const json::object o = object_of(R"({
        "S": "text", "B": true, "I": -9000000000, "U": 9000000000, "N": 42, "O": 0,
        "V": ["a", "b"], "M": {"x": "1", "y": "2"}, "K": {"80/tcp": {}, "/data": {}},
        "C": {"Inner": 1}})");
    JsonReader r(o, "T");
    std::string s;
    bool b = false;
    std::int64_t i = 0;
    std::int64_t u = 0;
    int n = 0;
    std::optional<int> opt;
    std::vector<std::string> v;
    std::map<std::string, std::string> m;
    std::set<std::string> keys;
    EXPECT_TRUE(r.read("S", s));
    EXPECT_TRUE(r.read("B", b));
    EXPECT_TRUE(r.read("I", i));
    EXPECT_TRUE(r.read("U", u));
    EXPECT_TRUE(r.read("N", n));
    EXPECT_TRUE(r.read("O", opt));
    EXPECT_TRUE(r.read("V", v));
    EXPECT_TRUE(r.read("M", m));
    EXPECT_TRUE(r.read_keys("K", keys));
    auto obj = r.object("C");
    ASSERT_TRUE(obj);
    ASSERT_NE(*obj, nullptr);
    EXPECT_EQ(**obj, object_of(R"({"Inner": 1})"));

    EXPECT_EQ(s, "text");
    EXPECT_TRUE(b);
    EXPECT_EQ(i, -9'000'000'000);
    EXPECT_EQ(u, 9'000'000'000);
    EXPECT_EQ(n, 42);
    EXPECT_EQ(opt, std::optional<int>(0));  // a present zero is not "absent"
    EXPECT_EQ(v, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(m, (std::map<std::string, std::string>{{"x", "1"}, {"y", "2"}}));
    EXPECT_EQ(keys, (std::set<std::string>{"/data", "80/tcp"}));
    EXPECT_TRUE(r.first_error());
}

// encoding/json: "json: cannot unmarshal <JSON kind> into Go struct field <struct>.<path> of type
// <Go type>", behind dockerd's "invalid JSON: ".
TEST(JsonReader, WrongTypesAreGoUnmarshalErrors) {
    const json::object o = object_of(R"({
        "S": 5, "B": "yes", "I": "1", "F": 1.5, "N": 3000000000, "V": "a", "E": ["a", 1],
        "M": ["x"], "MV": {"x": 1}, "K": ["80/tcp"], "C": "x", "T": {}})");
    JsonReader r(o, "Outer.Path");
    const std::string prefix = "invalid JSON: json: cannot unmarshal ";
    std::string s;
    bool b = false;
    std::int64_t i = 0;
    int n = 0;
    std::vector<std::string> v;
    std::map<std::string, std::string> m;
    std::set<std::string> keys;

    EXPECT_EQ(message_of(r.read("S", s)),
              prefix + "number into Go struct field Outer.Path.S of type string");
    EXPECT_EQ(message_of(r.read("T", s)),
              prefix + "object into Go struct field Outer.Path.T of type string");
    EXPECT_EQ(message_of(r.read("B", b)),
              prefix + "string into Go struct field Outer.Path.B of type bool");
    EXPECT_EQ(message_of(r.read("I", i)),
              prefix + "string into Go struct field Outer.Path.I of type int64");
    EXPECT_EQ(message_of(r.read("F", i)),
              prefix + "number into Go struct field Outer.Path.F of type int64");
    EXPECT_EQ(message_of(r.read("N", n)),
              prefix + "number into Go struct field Outer.Path.N of type int");
    EXPECT_EQ(message_of(r.read("V", v)),
              prefix + "string into Go struct field Outer.Path.V of type []string");
    EXPECT_EQ(message_of(r.read("E", v)),
              prefix + "number into Go struct field Outer.Path.E of type string");
    EXPECT_EQ(message_of(r.read("M", m)),
              prefix + "array into Go struct field Outer.Path.M of type map[string]string");
    EXPECT_EQ(message_of(r.read("MV", m)),
              prefix + "number into Go struct field Outer.Path.MV of type string");
    EXPECT_EQ(message_of(r.read_keys("K", keys)),
              prefix + "array into Go struct field Outer.Path.K of type map[string]struct {}");
    EXPECT_FALSE(r.object("C"));
    for (const Status& st : {r.read("S", s), r.read("B", b)})
        EXPECT_EQ(st.error().code, Errc::invalid_argument);

    // A failed read leaves the target as it was.
    EXPECT_EQ(s, "");
    EXPECT_TRUE(v.empty());
    EXPECT_TRUE(m.empty());
    EXPECT_TRUE(keys.empty());

    // The first error is kept across later reads.
    ASSERT_FALSE(r.first_error());
    EXPECT_EQ(r.first_error().error().message,
              prefix + "number into Go struct field Outer.Path.S of type string");
}

// Docker's strslice: a string is a one-element list; otherwise Go's error is the one from the
// fallback decode into a string.
TEST(JsonReader, StrSliceAcceptsStringOrArray) {
    const json::object o = object_of(R"({
        "One": "echo hello", "Many": ["sh", "-c", "echo hi"], "None": [], "Empty": "",
        "Num": 1, "Obj": {}, "Mixed": ["a", 2]})");
    JsonReader r(o, "CreateRequest");
    std::optional<std::vector<std::string>> one, many, none, empty, bad;
    EXPECT_TRUE(r.read_strslice("One", one));
    EXPECT_TRUE(r.read_strslice("Many", many));
    EXPECT_TRUE(r.read_strslice("None", none));
    EXPECT_TRUE(r.read_strslice("Empty", empty));
    EXPECT_EQ(one, (std::vector<std::string>{"echo hello"}));
    EXPECT_EQ(many, (std::vector<std::string>{"sh", "-c", "echo hi"}));
    EXPECT_EQ(none, std::vector<std::string>{});  // [] is not null
    EXPECT_EQ(empty, std::vector<std::string>{""});

    const std::string prefix = "invalid JSON: json: cannot unmarshal ";
    EXPECT_EQ(message_of(r.read_strslice("Num", bad)),
              prefix + "number into Go struct field CreateRequest.Num of type string");
    EXPECT_EQ(message_of(r.read_strslice("Obj", bad)),
              prefix + "object into Go struct field CreateRequest.Obj of type string");
    EXPECT_EQ(message_of(r.read_strslice("Mixed", bad)),
              prefix + "array into Go struct field CreateRequest.Mixed of type string");
    EXPECT_FALSE(bad);
}

TEST(JsonReader, OptionalIntRejectsWrongType) {
    const json::object o = object_of(R"({"StopTimeout": "10"})");
    JsonReader r(o, "CreateRequest");
    std::optional<int> t;
    EXPECT_EQ(message_of(r.read("StopTimeout", t)),
              "invalid JSON: json: cannot unmarshal string into Go struct field "
              "CreateRequest.StopTimeout of type int");
    EXPECT_FALSE(t);
}

}  // namespace
}  // namespace sockerless::routes
