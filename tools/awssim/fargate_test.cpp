#include "fargate.h"

#include <gtest/gtest.h>

namespace sockerless::awssim {
namespace {

TEST(Fargate, ParsesCpuAndMemoryStrings) {
    EXPECT_EQ(parse_cpu_units("256"), 256);
    EXPECT_EQ(parse_cpu_units("1 vCPU"), 1024);
    EXPECT_EQ(parse_cpu_units("0.25 vcpu"), 256);
    EXPECT_EQ(parse_memory_mib("512"), 512);
    EXPECT_EQ(parse_memory_mib("2 GB"), 2048);
    EXPECT_EQ(parse_memory_mib("0.5gb"), 512);
    for (const char* bad : {"", "abc", "-1", "0", "1.5", "12 MB", " vCPU"}) {
        EXPECT_FALSE(parse_cpu_units(bad).has_value()) << bad;
    }
    EXPECT_FALSE(parse_memory_mib("1.5").has_value());
}

TEST(Fargate, AcceptsExactlyAwsTable) {
    struct Range {
        long cpu, min, max, step;
    };
    const Range table[] = {{512, 1024, 4096, 1024},    {1024, 2048, 8192, 1024},
                           {2048, 4096, 16384, 1024},  {4096, 8192, 30720, 1024},
                           {8192, 16384, 61440, 4096}, {16384, 32768, 122880, 8192}};
    for (const auto& r : table) {
        for (long m = r.min; m <= r.max; m += r.step) {
            EXPECT_TRUE(fargate_size_supported(r.cpu, m)) << r.cpu << "/" << m;
        }
        EXPECT_FALSE(fargate_size_supported(r.cpu, r.min - r.step)) << r.cpu;
        EXPECT_FALSE(fargate_size_supported(r.cpu, r.max + r.step)) << r.cpu;
        EXPECT_FALSE(fargate_size_supported(r.cpu, r.min + r.step / 2)) << r.cpu;
    }
    for (long m : {512, 1024, 2048})
        EXPECT_TRUE(fargate_size_supported(256, m)) << m;
    for (long m : {256, 1536, 3072, 4096})
        EXPECT_FALSE(fargate_size_supported(256, m)) << m;
    EXPECT_FALSE(fargate_size_supported(1024, 1024));
    EXPECT_FALSE(fargate_size_supported(300, 1024));
    EXPECT_TRUE(fargate_size_supported(8192, 20480));
    EXPECT_FALSE(fargate_size_supported(8192, 18432));
}

}  // namespace
}  // namespace sockerless::awssim
