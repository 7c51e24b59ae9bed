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
             {"--port", "70000"}, {"--port", "seven"}, {"--listen", "not-an-address"}, {"--no-such-option"}}) {
        auto result = run(chapter_program(), args);
        EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
        EXPECT_FALSE(result.err.empty());
    }
}

TEST(Echo, HelpExitsZero) {
    auto result = run(chapter_program(), {"--help"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("--port"), std::string::npos);
    EXPECT_NE(result.out.find("--listen"), std::string::npos);
}

TEST(Echo, ListensOnIpv6Literal) {
    ChapterServer server({"--listen", "::1"});
    EXPECT_NE(server.port("echo"), 0);
}

TEST(Echo, OptionsComeFromAConfigFileToo) {
    TempDir dir;
    auto config = dir.path() / "echo.toml";
    std::ofstream(config) << "# every long option can live here\nlisten = \"127.0.0.2\"\n";
    ChapterServer server({"--config", config.string()});
    LineClient client(server.port("echo"), "127.0.0.2");
    client.send_line("from the config file");
    EXPECT_EQ(client.read_line(), "from the config file");
}
