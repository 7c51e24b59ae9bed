// End-to-end tests of the echo server: the real binary, real sockets, port 0.
#include "shared/testing/chapter.hpp"
#include "shared/testing/client.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

using namespace mailsteps::testing;
using namespace std::chrono_literals;

TEST(Echo, BadCommandLineExitsTwo) {
    for (auto args : std::vector<std::vector<std::string>>{
             {"--port", "70000"}, {"--listen", "not-an-address"}, {"--idle-timeout", "soon"}, {"--no-such-option"}}) {
        auto result = run(chapter_program(), args);
        EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
        EXPECT_FALSE(result.err.empty());
    }
}

TEST(Echo, HelpExitsZero) {
    auto result = run(chapter_program(), {"--help"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("--max-line"), std::string::npos);
    EXPECT_NE(result.out.find("--max-connections-per-address"), std::string::npos); // shared/cli.cpp
}

TEST(Echo, ListensOnIpv6Literal) {
    ChapterServer server({"--listen", "::1"});
    EXPECT_NE(server.port("echo"), 0);
}

TEST(Echo, OptionsComeFromAConfigFileToo) {
    TempDir dir;
    auto config = dir.path() / "echo.toml";
    std::ofstream(config) << "# every long option can live here\nmax-line = 10\nidle-timeout = \"5s\"\n";
    ChapterServer server({"--config", config.string()});
    LineClient client(server.port("echo"));
    client.send_line("123456789");
    EXPECT_EQ(client.read_line(), "error: line longer than 10 octets");
}
