#include "base/hex.h"

#include <set>

#include <gtest/gtest.h>

namespace sockerless {
namespace {

TEST(Hex, EncodesAndDecodesRoundTrip) {
    const unsigned char bytes[] = {0x00, 0x7f, 0x80, 0xff, 0x12};
    std::string hex = hex_encode(bytes);
    EXPECT_EQ(hex, "007f80ff12");
    auto back = hex_decode("007F80fF12");
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, std::string("\x00\x7f\x80\xff\x12", 5));
}

TEST(Hex, RejectsOddLengthAndBadDigits) {
    auto odd = hex_decode("abc");
    ASSERT_FALSE(odd.has_value());
    EXPECT_EQ(odd.error().code, Errc::invalid_argument);
    auto bad = hex_decode("zz");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("offset 0"), std::string::npos);
}

TEST(Hex, RandomTokensAreUniqueHexOfRequestedLength) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        auto token = random_hex_token(32);
        ASSERT_TRUE(token.has_value());
        ASSERT_EQ(token->size(), 64u);
        EXPECT_EQ(token->find_first_not_of("0123456789abcdef"), std::string::npos);
        EXPECT_TRUE(seen.insert(*token).second) << "duplicate token " << *token;
    }
}

TEST(Hex, ConstantTimeEqualComparesContentAndLength) {
    EXPECT_TRUE(constant_time_equal("secret", "secret"));
    EXPECT_FALSE(constant_time_equal("secret", "secreT"));
    EXPECT_FALSE(constant_time_equal("secret", "secret2"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace sockerless
