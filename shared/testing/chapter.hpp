#pragma once

// For tests that run against a chapter's program. The test's code is the same for every
// chapter; tests/CMakeLists.txt links each chapter's copy of the test with a small generated
// file that defines, for that chapter:
//   built_chapter_program  the program for this topic (echo_server, mailserver, mxlookup)
//   chapter_test_args      the arguments that make it self-contained: every port 0, every
//                          file under {dir} (a fresh temporary directory)
// Two environment variables run the same tests against another build of the programs:
//   MAILSTEPS_PROGRAM_DIR  where to take the programs from instead
//   MAILSTEPS_SERVER_ARGS  options added to every ChapterServer, e.g. "--threads 4"
// (`ctest --preset tsan` uses both: chapter 05's server built with ThreadSanitizer.)
#include "shared/testing/process.hpp"
#include "shared/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace mailsteps::testing {

extern const char* const built_chapter_program;
extern const char* const chapter_test_args;

// An absolute path: programs run in a directory of their own (Process).
inline std::string chapter_program() {
    const char* other_build = std::getenv("MAILSTEPS_PROGRAM_DIR");
    if (other_build == nullptr || *other_build == '\0') {
        return built_chapter_program;
    }
    auto program = std::filesystem::path(other_build) / std::filesystem::path(built_chapter_program).filename();
    return std::filesystem::absolute(program).string();
}

// For tests that start an extra server with options of their own: the chapter's port options
// from chapter_test_args other than `except` (from chapter 05, "--pop3-port 0"), so that the
// extra server never takes a default port another test may be using.
inline std::vector<std::string> other_port_args(const std::string& except) {
    std::vector<std::string> args;
    std::istringstream words(chapter_test_args);
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
        : process_(chapter_program(), arguments(extra_args), -1, working_dir_.path()) {}
    ~ChapterServer() { EXPECT_EQ(process_.stop(), 0) << "the server did not exit cleanly; its log:\n" << log(); }
    ChapterServer(const ChapterServer&) = delete;
    ChapterServer& operator=(const ChapterServer&) = delete;

    std::uint16_t port(const std::string& protocol) { return process_.port(protocol); }
    const std::filesystem::path& dir() const { return dir_.path(); }
    // Where the server runs, apart from dir(): what it makes by default under ./var is here
    // (from chapter 27 on, its certificate: working_dir()/var/tls/cert.pem).
    const std::filesystem::path& working_dir() const { return working_dir_.path(); }
    Process& process() { return process_; }
    std::string log() const { return process_.log(); }
    // SIGTERM, then the exit code (nullopt if it did not exit in time).
    std::optional<int> stop() { return process_.stop(); }

private:
    std::vector<std::string> arguments(const std::vector<std::string>& extra_args) const {
        std::vector<std::string> args;
        const char* server_args = std::getenv("MAILSTEPS_SERVER_ARGS");
        std::istringstream words(std::string(chapter_test_args) + " " + (server_args ? server_args : ""));
        for (std::string word; words >> word;) {
            // An option the test sets itself wins (the program takes each option once).
            if (word.starts_with("--") && std::ranges::count(extra_args, word) > 0) {
                words >> word;
                continue;
            }
            if (auto at = word.find("{dir}"); at != std::string::npos) {
                word.replace(at, 5, dir_.path().string());
            }
            args.push_back(word);
        }
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        return args;
    }

    TempDir dir_; // these two first: they must exist before the process starts
    TempDir working_dir_;
    Process process_;
};

} // namespace mailsteps::testing
