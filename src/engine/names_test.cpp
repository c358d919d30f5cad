#include "engine/names.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace sockerless::engine {
namespace {

std::string invalid_message(std::string_view name) {
    return "Invalid container name (" + std::string(name) +
           "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed";
}

TEST(ValidateName, AcceptsDockerNamesAndAddsTheSlash) {
    const std::vector<std::pair<std::string_view, std::string_view>> golden = {
        {"web", "/web"},   {"/web", "/web"}, {"ab", "/ab"},
        {"0x", "/0x"},     {"A1", "/A1"},    {"my_app.v2-1", "/my_app.v2-1"},
        {"9-._", "/9-._"}, {"/x.", "/x."},   {"UPPER_lower", "/UPPER_lower"},
        {"a--", "/a--"},   {"a..", "/a.."},  {"a__", "/a__"},
    };
    for (const auto& [in, want] : golden) {
        auto got = validate_name(in);
        ASSERT_TRUE(got.has_value()) << in << ": " << got.error().message;
        EXPECT_EQ(*got, want) << in;
    }
}

TEST(ValidateName, RefusesWithDockersMessageQuotingTheNameAsGiven) {
    const std::vector<std::string_view> invalid = {
        "",    "/",    "a",     "/a",   "_ab",
        ".ab", "-ab",  "//ab",  "a b",  "a/b",
        "ab/", "ab!",  "ab:cd", "ab\n", "\xc3\xa9t\xc3\xa9",
        "ab*", "a\tb", "ab ",
    };
    for (std::string_view name : invalid) {
        auto got = validate_name(name);
        ASSERT_FALSE(got.has_value()) << name;
        EXPECT_EQ(got.error().code, Errc::invalid_argument) << name;
        EXPECT_EQ(got.error().message, invalid_message(name)) << name;
    }
    EXPECT_EQ(validate_name("/my app").error().message,
              "Invalid container name (/my app), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

void expect_word_list(std::span<const std::string_view> words, std::size_t at_least) {
    EXPECT_GE(words.size(), at_least);
    std::set<std::string_view> unique(words.begin(), words.end());
    EXPECT_EQ(unique.size(), words.size()) << "duplicate words";
    for (std::string_view w : words) {
        EXPECT_GE(w.size(), 2U) << w;
        EXPECT_TRUE(std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
            << w;
    }
}

TEST(NameWords, ListsAreLargeUniqueAndLowercaseLetters) {
    expect_word_list(name_adjectives(), 100);
    expect_word_list(name_surnames(), 200);
}

// "adjective_surname" with a digit only on retries, both words from the lists.
void expect_shape(const std::string& name, bool digit) {
    const std::size_t sep = name.find('_');
    ASSERT_NE(sep, std::string::npos) << name;
    std::string surname = name.substr(sep + 1);
    if (digit) {
        ASSERT_FALSE(surname.empty());
        EXPECT_TRUE(surname.back() >= '0' && surname.back() <= '9') << name;
        surname.pop_back();
    }
    const auto adjectives = name_adjectives();
    const auto surnames = name_surnames();
    EXPECT_NE(std::find(adjectives.begin(), adjectives.end(), name.substr(0, sep)),
              adjectives.end())
        << name;
    EXPECT_NE(std::find(surnames.begin(), surnames.end(), surname), surnames.end()) << name;
    EXPECT_TRUE(validate_name(name).has_value()) << name;
}

TEST(RandomName, ShapeAndDigitOnRetries) {
    std::mt19937_64 rng(42);
    for (int i = 0; i < 200; ++i) {
        expect_shape(random_name(rng, 0), false);
        expect_shape(random_name(rng, 1 + i % 5), true);
    }
}

TEST(RandomName, SameSeedSameNamesAndTheSpaceIsUsed) {
    std::mt19937_64 a(7);
    std::mt19937_64 b(7);
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string name = random_name(a, 0);
        EXPECT_EQ(name, random_name(b, 0));
        seen.insert(name);
    }
    // 111 x 226 combinations: 1000 draws repeat rarely.
    EXPECT_GT(seen.size(), 900U);
}

TEST(GenerateName, FirstTryIsPlainAndSlashed) {
    std::mt19937_64 rng(1);
    std::vector<std::string> asked;
    auto name = generate_name(
        rng,
        [&](std::string_view n) {
            asked.emplace_back(n);
            return false;
        },
        "0123456789abcdef0123");
    ASSERT_TRUE(name.has_value()) << name.error().message;
    ASSERT_EQ(asked.size(), 1U);
    EXPECT_EQ(*name, asked[0]);
    ASSERT_TRUE(name->starts_with('/'));
    expect_shape(name->substr(1), false);
}

TEST(GenerateName, RetriesAppendADigit) {
    std::mt19937_64 rng(2);
    std::vector<std::string> asked;
    auto name = generate_name(
        rng,
        [&](std::string_view n) {
            asked.emplace_back(n);
            return asked.size() < 3;
        },
        "0123456789abcdef0123");
    ASSERT_TRUE(name.has_value()) << name.error().message;
    ASSERT_EQ(asked.size(), 3U);
    EXPECT_EQ(*name, asked[2]);
    expect_shape(asked[0].substr(1), false);
    expect_shape(asked[1].substr(1), true);
    expect_shape(asked[2].substr(1), true);
}

TEST(GenerateName, FallsBackToTheShortIdAfterSixTries) {
    std::mt19937_64 rng(3);
    int calls = 0;
    auto name = generate_name(
        rng,
        [&](std::string_view n) {
            ++calls;
            return n != "/0123456789ab";
        },
        "0123456789abcdef0123");
    ASSERT_TRUE(name.has_value()) << name.error().message;
    EXPECT_EQ(*name, "/0123456789ab");
    EXPECT_EQ(calls, kNameAttempts + 1);
}

TEST(GenerateName, EverythingTakenIsAConflict) {
    std::mt19937_64 rng(4);
    auto name = generate_name(
        rng, [](std::string_view) { return true; }, "0123456789abcdef");
    ASSERT_FALSE(name.has_value());
    EXPECT_EQ(name.error().code, Errc::conflict);
    EXPECT_NE(name.error().message.find("/0123456789ab"), std::string::npos)
        << name.error().message;
}

}  // namespace
}  // namespace sockerless::engine
