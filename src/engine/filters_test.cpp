#include "engine/filters.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace sockerless::engine {
namespace {

using Values = Filters::Values;
using Labels = std::map<std::string, std::string>;

Filters parsed(std::string_view json) {
    auto f = Filters::parse(json);
    EXPECT_TRUE(f.has_value()) << json << ": " << f.error().message;
    return f.has_value() ? *f : Filters();
}

Filters with(std::initializer_list<std::pair<std::string, std::string>> pairs) {
    Filters f;
    for (const auto& [k, v] : pairs)
        f.add(k, v);
    return f;
}

// ---- parse -------------------------------------------------------------------------------------

TEST(FiltersParse, NoFilters) {
    for (std::string_view json : {"", "null", "{}", " { } "}) {
        Filters f = parsed(json);
        EXPECT_TRUE(f.empty()) << json;
        EXPECT_TRUE(f.keys().empty()) << json;
    }
}

TEST(FiltersParse, BothEncodingsGiveTheSameSets) {
    const std::vector<std::string_view> forms = {
        R"({"status":{"running":true,"exited":true},"label":{"a=b":true,"c":true}})",
        R"({"status":["running","exited"],"label":["a=b","c"]})",
        R"({"status":["exited","running","running"],"label":["c","a=b"]})",
    };
    for (std::string_view json : forms) {
        Filters f = parsed(json);
        EXPECT_EQ(f.keys(), (std::vector<std::string>{"label", "status"})) << json;
        EXPECT_EQ(f.values("status"), (Values{"exited", "running"})) << json;
        EXPECT_EQ(f.values("label"), (Values{"a=b", "c"})) << json;
    }
}

TEST(FiltersParse, KeysWithoutValuesStayPresent) {
    const std::vector<std::string_view> forms = {
        R"({"status":{"running":false}})",
        R"({"status":{"running":null}})",
        R"({"status":{}})",
        R"({"status":[]})",
        R"({"status":null})",
    };
    for (std::string_view json : forms) {
        Filters f = parsed(json);
        EXPECT_TRUE(f.contains("status")) << json;
        EXPECT_TRUE(f.values("status").empty()) << json;
        EXPECT_FALSE(f.empty()) << json;
    }
    EXPECT_EQ(parsed(R"({"name":[null,"x"]})").values("name"), (Values{"", "x"}));
    EXPECT_EQ(parsed(R"({"label":{"a":true,"b":false}})").values("label"), (Values{"a"}));
}

TEST(FiltersParse, AnythingElseIsDockersInvalidFilter) {
    const std::vector<std::string_view> invalid = {
        "anything",
        "['a','list']",
        "{'key': 'value'}",
        R"({"key": "value"})",
        "[]",
        R"("status")",
        "1",
        "true",
        R"({"a":{"x":1}})",
        R"({"a":{"x":"true"}})",
        R"({"a":[1]})",
        R"({"a":[["x"]]})",
        R"({"a":{"x":true},"b":["y"]})",
        R"({"a":["x"]} {"b":["y"]})",
        R"({"a":["x"])",
        "{\"a\":[\"\xff\"]}",
    };
    for (std::string_view json : invalid) {
        auto f = Filters::parse(json);
        ASSERT_FALSE(f.has_value()) << json;
        EXPECT_EQ(f.error().code, Errc::invalid_argument) << json;
        EXPECT_EQ(f.error().message, "invalid filter") << json;
    }
}

// ---- validate, accessors -------------------------------------------------------------------

TEST(FiltersValidate, UnknownKeyIsNamed) {
    Filters f = parsed(R"({"status":["running"],"label":["a"]})");
    EXPECT_TRUE(f.validate({"status", "label", "id"}).has_value());

    f.add("bogus", "x");
    f.add("another", "y");
    auto st = f.validate({"status", "label", "id"});
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, Errc::invalid_argument);
    EXPECT_EQ(st.error().message, "invalid filter 'another'");

    static constexpr std::array<std::string_view, 4> kAccepted = {"status", "label", "bogus",
                                                                  "another"};
    EXPECT_TRUE(f.validate(kAccepted).has_value());
    EXPECT_TRUE(Filters().validate({}).has_value());
}

TEST(FiltersAccessors, ContainsValuesKeys) {
    Filters f = with({{"status", "running"}, {"status", "paused"}, {"id", "abc"}});
    EXPECT_TRUE(f.contains("status"));
    EXPECT_FALSE(f.contains("label"));
    EXPECT_EQ(f.values("status"), (Values{"paused", "running"}));
    EXPECT_TRUE(f.values("label").empty());
    EXPECT_EQ(f.keys(), (std::vector<std::string>{"id", "status"}));
}

TEST(FiltersErrors, InvalidFilterTexts) {
    EXPECT_EQ(invalid_filter("foo").message, "invalid filter 'foo'");
    EXPECT_EQ(invalid_filter("status", "bogus").message, "invalid filter 'status=bogus'");
    EXPECT_EQ(invalid_filter("status", "bogus").code, Errc::invalid_argument);
}

// ---- matching ------------------------------------------------------------------------------

TEST(FiltersMatch, ExactMatch) {
    EXPECT_TRUE(Filters().match_exact("status", "running"));
    Filters f = with({{"status", "running"}, {"status", "pause*"}});
    EXPECT_TRUE(f.match_exact("status", "running"));
    EXPECT_FALSE(f.match_exact("status", "paused"));
    EXPECT_TRUE(f.match_exact("health", "anything"));
    // A present key without values filters nothing.
    EXPECT_TRUE(parsed(R"({"status":[]})").match_exact("status", "x"));
}

TEST(FiltersMatch, UniqueExactMatch) {
    Filters f;
    EXPECT_TRUE(f.match_unique_exact("status", "running"));
    f.add("status", "running");
    EXPECT_TRUE(f.match_unique_exact("status", "running"));
    EXPECT_FALSE(f.match_unique_exact("status", "paused"));
    f.add("status", "pause");
    EXPECT_FALSE(f.match_unique_exact("status", "running"));
}

TEST(FiltersMatch, PrefixMatchForIds) {
    Filters f = with({{"id", "4f1c"}});
    const std::map<std::string_view, bool> golden = {
        {"4f1c", true}, {"4f1c9a0b", true}, {"a4f1c", false}, {"4f1", false}, {"", false},
    };
    for (const auto& [source, want] : golden) {
        EXPECT_EQ(f.match_prefix("id", source), want) << source;
    }
    EXPECT_TRUE(f.match_prefix("name", "whatever"));
    EXPECT_TRUE(with({{"id", "zz"}, {"id", "4f"}}).match_prefix("id", "4f1c"));
}

TEST(FiltersMatch, RegexMatchAsDockerDoes) {
    // Docker's own table for Match against the source "today".
    const std::map<std::string, bool> golden = {
        {"today", true},     {"to*", true},     {"to(.*)", true},   {"tod", true},  {"day$", true},
        {"tomorrow", false}, {"to(day", false}, {"tom(.*)", false}, {"tom", false}, {"^day", false},
    };
    for (const auto& [value, want] : golden) {
        EXPECT_EQ(with({{"created", value}}).match("created", "today"), want) << value;
    }
    EXPECT_TRUE(with({{"created", "anything"}, {"created", "to*"}}).match("created", "today"));
    EXPECT_TRUE(Filters().match("created", "today"));
    EXPECT_FALSE(with({{"created", "today1"}, {"label", "today"}}).match("created", "today"));
}

TEST(FiltersMatch, ContainerNamesAndIds) {
    Filters web = with({{"name", "web"}});
    EXPECT_TRUE(web.match("name", "/my-web-1"));
    EXPECT_FALSE(web.match("name", "/db"));
    Filters anchored = with({{"name", "^/web$"}});
    EXPECT_TRUE(anchored.match("name", "/web"));
    EXPECT_FALSE(anchored.match("name", "/web2"));
    EXPECT_TRUE(with({{"id", "9a0b"}}).match("id", "4f1c9a0b77"));
}

TEST(FiltersMatch, InvalidOrOverlongPatternsMatchOnlyExactly) {
    Filters bad = with({{"name", "a[b"}});
    EXPECT_TRUE(bad.match("name", "a[b"));
    EXPECT_FALSE(bad.match("name", "xa[bx"));

    const std::string longest(Filters::kMaxPatternLength, 'x');
    EXPECT_TRUE(with({{"name", longest}}).match("name", "y" + longest));
    const std::string overlong = longest + "x";
    EXPECT_FALSE(with({{"name", overlong}}).match("name", "y" + overlong));
    EXPECT_TRUE(with({{"name", overlong}}).match("name", overlong));
    // Deeply nested input is refused by the length bound before the regex compiler sees it.
    const std::string nested = std::string(5000, '(') + std::string(5000, ')');
    EXPECT_FALSE(with({{"name", nested}}).match("name", "x"));
}

TEST(FiltersMatch, CopiesAreIndependent) {
    Filters a = with({{"name", "web"}});
    Filters b = a;
    b.add("name", "db");
    EXPECT_TRUE(b.match("name", "/db-1"));
    EXPECT_FALSE(a.match("name", "/db-1"));
    EXPECT_TRUE(a.match("name", "/web-1"));
}

TEST(FiltersLabels, KeyAndKeyValue) {
    const Labels labels = {{"key1", "value1"}, {"key2", "value2"}, {"empty", ""}, {"eq", "a=b"}};
    const std::vector<std::pair<std::vector<std::string>, bool>> golden = {
        {{"key1"}, true},           {{"key1=value1"}, true},  {{"key1", "key2=value2"}, true},
        {{"key4"}, false},          {{"key1=value3"}, false}, {{"key1", "key4"}, false},
        {{"key1=value1=x"}, false}, {{"empty="}, true},       {{"empty"}, true},
        {{"key1="}, false},         {{"eq=a=b"}, true},       {{"eq=a"}, false},
    };
    for (const auto& [values, want] : golden) {
        Filters f;
        for (const auto& v : values)
            f.add("label", v);
        EXPECT_EQ(f.match_kv("label", labels), want) << ::testing::PrintToString(values);
    }
    EXPECT_TRUE(Filters().match_kv("label", labels));
    EXPECT_TRUE(Filters().match_kv("label", {}));
    EXPECT_FALSE(with({{"label", "key1"}}).match_kv("label", {}));
}

TEST(FiltersLabels, NegatedLabelsAsPruneAppliesThem) {
    const Labels labels = {{"a", "1"}, {"b", "2"}};
    const std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, bool>> golden = {
        {{}, true},
        {{{"label", "a"}}, true},
        {{{"label", "c"}}, false},
        {{{"label!", "a"}}, false},
        {{{"label!", "a=1"}}, false},
        {{{"label!", "a=2"}}, true},
        {{{"label!", "c"}}, true},
        {{{"label", "a"}, {"label!", "b=3"}}, true},
        {{{"label", "a"}, {"label!", "b=2"}}, false},
        // Docker excludes only when every negated label matches.
        {{{"label!", "a=1"}, {"label!", "c"}}, true},
        {{{"label!", "a=1"}, {"label!", "b"}}, false},
    };
    for (const auto& [pairs, want] : golden) {
        Filters f;
        for (const auto& [k, v] : pairs)
            f.add(k, v);
        EXPECT_EQ(f.match_labels(labels), want) << ::testing::PrintToString(pairs);
    }
    EXPECT_TRUE(with({{"label!", "a"}}).match_labels({}));
}

// ---- typed values --------------------------------------------------------------------------

TEST(FiltersBool, DanglingStyleValues) {
    EXPECT_EQ(*Filters().get_bool("dangling", true), true);
    EXPECT_EQ(*Filters().get_bool("dangling", false), false);
    const std::vector<std::pair<std::vector<std::string>, bool>> good = {
        {{"true"}, true},   {{"1"}, true},  {{"true", "1"}, true},
        {{"false"}, false}, {{"0"}, false}, {{"0", "false"}, false},
    };
    for (const auto& [values, want] : good) {
        Filters f;
        for (const auto& v : values)
            f.add("dangling", v);
        auto got = f.get_bool("dangling", !want);
        ASSERT_TRUE(got.has_value()) << got.error().message;
        EXPECT_EQ(*got, want);
    }
    const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
        {{"yes"}, "invalid filter 'dangling=[yes]'"},
        {{"TRUE"}, "invalid filter 'dangling=[TRUE]'"},
        {{"true", "false"}, "invalid filter 'dangling=[false true]'"},
        {{"1", "0", "x"}, "invalid filter 'dangling=[0 1 x]'"},
    };
    for (const auto& [values, message] : bad) {
        Filters f;
        for (const auto& v : values)
            f.add("dangling", v);
        auto got = f.get_bool("dangling", true);
        ASSERT_FALSE(got.has_value()) << message;
        EXPECT_EQ(got.error().code, Errc::invalid_argument);
        EXPECT_EQ(got.error().message, message);
    }
    auto empty = parsed(R"({"dangling":[]})").get_bool("dangling", true);
    ASSERT_FALSE(empty.has_value());
    EXPECT_EQ(empty.error().message, "invalid filter 'dangling'");
}

TEST(FiltersInts, ExitedCodes) {
    auto none = Filters().get_ints("exited");
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none->empty());

    Filters f = with({{"exited", "0"}, {"exited", "137"}, {"exited", "-1"}, {"exited", "+5"}});
    auto codes = f.get_ints("exited");
    ASSERT_TRUE(codes.has_value()) << codes.error().message;
    EXPECT_EQ(*codes, (std::vector<std::int64_t>{5, -1, 0, 137}));

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"abc", R"(strconv.Atoi: parsing "abc": invalid syntax)"},
        {"", R"(strconv.Atoi: parsing "": invalid syntax)"},
        {"1.5", R"(strconv.Atoi: parsing "1.5": invalid syntax)"},
        {" 1", R"(strconv.Atoi: parsing " 1": invalid syntax)"},
        {"-", R"(strconv.Atoi: parsing "-": invalid syntax)"},
        {"+-1", R"(strconv.Atoi: parsing "+-1": invalid syntax)"},
        {"0x10", R"(strconv.Atoi: parsing "0x10": invalid syntax)"},
        {"a\"b", R"(strconv.Atoi: parsing "a\"b": invalid syntax)"},
        {"99999999999999999999",
         R"(strconv.Atoi: parsing "99999999999999999999": value out of range)"},
        {"-9223372036854775809",
         R"(strconv.Atoi: parsing "-9223372036854775809": value out of range)"},
    };
    for (const auto& [value, message] : bad) {
        auto got = with({{"exited", value}}).get_ints("exited");
        ASSERT_FALSE(got.has_value()) << value;
        EXPECT_EQ(got.error().code, Errc::invalid_argument);
        EXPECT_EQ(got.error().message, message);
    }
    auto edge = with({{"exited", "-9223372036854775808"}}).get_ints("exited");
    ASSERT_TRUE(edge.has_value()) << edge.error().message;
    EXPECT_EQ(edge->front(), INT64_MIN);
}

TEST(FiltersValues, AllowedSet) {
    const std::initializer_list<std::string_view> states = {"created", "running", "exited"};
    EXPECT_TRUE(Filters().check_values("status", states).has_value());
    EXPECT_TRUE(with({{"status", "running"}, {"status", "exited"}})
                    .check_values("status", states)
                    .has_value());
    auto st = with({{"status", "running"}, {"status", "zombie"}, {"status", "bogus"}})
                  .check_values("status", states);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, Errc::invalid_argument);
    EXPECT_EQ(st.error().message, "invalid filter 'status=bogus'");
}

}  // namespace
}  // namespace sockerless::engine
