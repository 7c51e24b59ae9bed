// Spool: a message's text, in memory while small and in a nameless file beyond that.
#include "spool.hpp"

#include "data/message_testing.hpp"

#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using mailsteps::Spool;
using smtp::tests::whole_text;
using mailsteps::testing::TempDir;

std::vector<std::filesystem::path> entries_in(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> entries;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        entries.push_back(entry.path());
    }
    return entries;
}

TEST(Spool, SmallTextStaysInMemory) {
    TempDir dir;
    Spool spool(dir.path() / "never made", 100);
    ASSERT_EQ(spool.append("hello\n"), std::error_code{});
    ASSERT_EQ(spool.append("world\n"), std::error_code{});
    EXPECT_EQ(spool.size(), 12U);
    EXPECT_EQ(whole_text(spool), "hello\nworld\n");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "never made"));
}

TEST(Spool, BigTextGoesToAFileNobodyCanSee) {
    TempDir dir;
    Spool spool(dir.path() / "spool", 1000);
    std::string expected;
    for (int i = 0; i < 10000; ++i) {
        std::string line = "line " + std::to_string(i) + "\n";
        ASSERT_EQ(spool.append(line), std::error_code{});
        expected += line;
    }
    EXPECT_EQ(spool.size(), expected.size());
    EXPECT_EQ(whole_text(spool), expected);
    EXPECT_EQ(whole_text(spool), expected); // read as often as needed
    EXPECT_EQ(entries_in(dir.path() / "spool"), std::vector<std::filesystem::path>{}); // the file has no name
}

TEST(Spool, ReadStopsAtTheFirstError) {
    TempDir dir;
    Spool spool(dir.path(), 4);
    ASSERT_EQ(spool.append("abcd"), std::error_code{});
    ASSERT_EQ(spool.append("efgh"), std::error_code{});
    int pieces = 0;
    auto error = spool.read([&](std::string_view) {
        ++pieces;
        return std::make_error_code(std::errc::io_error);
    });
    EXPECT_EQ(error, std::errc::io_error);
    EXPECT_EQ(pieces, 1);
}

TEST(Spool, AnErrorIsKeptAndRepeated) {
    TempDir dir;
    std::ofstream(dir.path() / "a file") << "in the way";
    Spool spool(dir.path() / "a file", 4);
    ASSERT_EQ(spool.append("abc"), std::error_code{});
    auto error = spool.append("defgh"); // over the limit: needs the file, and cannot have it
    EXPECT_NE(error, std::error_code{});
    EXPECT_EQ(spool.append("x"), error);
    EXPECT_EQ(spool.read([](std::string_view) { return std::error_code{}; }), error);
}

TEST(Spool, ClearForgetsEverything) {
    TempDir dir;
    Spool spool(dir.path(), 4);
    ASSERT_EQ(spool.append("abcdefgh"), std::error_code{});
    spool.clear();
    EXPECT_EQ(spool.size(), 0U);
    EXPECT_EQ(whole_text(spool), "");
    ASSERT_EQ(spool.append("again"), std::error_code{});
    EXPECT_EQ(whole_text(spool), "again");
}

} // namespace
