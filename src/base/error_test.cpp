#include "base/error.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace sockerless {
namespace {

Result<int> parse_positive(int v) {
    if (v <= 0)
        return make_error(Errc::invalid_argument,
                          "value must be positive, got " + std::to_string(v));
    return v;
}

TEST(Error, WrapAddsContextAndKeepsCode) {
    Error e = make_error(Errc::not_found, "no such file").wrap("open config").wrap("startup");
    EXPECT_EQ(e.code, Errc::not_found);
    EXPECT_EQ(e.message, "startup: open config: no such file");
}

TEST(Error, ResultCarriesValueOrError) {
    auto good = parse_positive(3);
    ASSERT_TRUE(good.has_value());
    EXPECT_EQ(*good, 3);
    auto bad = parse_positive(-1);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
    EXPECT_EQ(errc_name(bad.error().code), "invalid-argument");
}

TEST(Error, ErrnoIsClassified) {
    EXPECT_EQ(errno_error("open /x", ENOENT).code, Errc::not_found);
    EXPECT_EQ(errno_error("open /x", EACCES).code, Errc::forbidden);
    EXPECT_EQ(errno_error("connect", ECONNREFUSED).code, Errc::unavailable);
    EXPECT_NE(errno_error("open /x", ENOENT).message.find("open /x: "), std::string::npos);
}

}  // namespace
}  // namespace sockerless
