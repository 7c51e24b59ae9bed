#pragma once

// For tests that run against a chapter's program. tests/CMakeLists.txt builds each such test
// once per chapter and defines:
//   MAILSTEPS_PROGRAM    the chapter's program for this topic (echo_server, mailserver, ...)
//   MAILSTEPS_TEST_ARGS  the arguments that make it self-contained: every port 0, every file
//                        under {dir} (a fresh temporary directory)
#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace mailsteps::testing {

// For tests that start an extra server with options of their own: the chapter's port options
// from MAILSTEPS_TEST_ARGS other than `except` (from chapter 05, "--pop3-port 0"), so that the
// extra server never takes a default port another test may be using.
inline std::vector<std::string> other_port_args(const std::string& except) {
    std::vector<std::string> args;
    std::istringstream words(MAILSTEPS_TEST_ARGS);
    for (std::string option, value; words >> option;) {
        if (option.ends_with("-port") && option != except && words >> value) {
            args.insert(args.end(), {option, value});
        }
    }
    return args;
}

// The chapter's program, started for one test. When the test ends it is stopped with SIGTERM
// and must exit with status 0 (a sanitizer report or a crash would not).
class ChapterServer {
public:
    explicit ChapterServer(const std::vector<std::string>& extra_args = {})
        : process_(MAILSTEPS_PROGRAM, arguments(extra_args)) {}
    ~ChapterServer() { EXPECT_EQ(process_.stop(), 0) << "the server did not exit cleanly; its log:\n" << log(); }
    ChapterServer(const ChapterServer&) = delete;
    ChapterServer& operator=(const ChapterServer&) = delete;

    std::uint16_t port(const std::string& protocol) { return process_.port(protocol); }
    const std::filesystem::path& dir() const { return dir_.path(); }
    Process& process() { return process_; }
    std::string log() const { return process_.log(); }
    // SIGTERM, then the exit code (nullopt if it did not exit in time).
    std::optional<int> stop() { return process_.stop(); }

private:
    std::vector<std::string> arguments(const std::vector<std::string>& extra_args) const {
        std::vector<std::string> args;
        std::istringstream words(MAILSTEPS_TEST_ARGS);
        for (std::string word; words >> word;) {
            if (auto at = word.find("{dir}"); at != std::string::npos) {
                word.replace(at, 5, dir_.path().string());
            }
            args.push_back(word);
        }
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        return args;
    }

    TempDir dir_; // declared first: it must exist before the process starts
    Process process_;
};

} // namespace mailsteps::testing
