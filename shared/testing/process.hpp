#pragma once

#include "shared/testing/temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mailsteps::testing {

using namespace std::chrono_literals;
using Milliseconds = std::chrono::milliseconds;

// A program started for a test: stdout is a pipe (for the readiness lines), stderr goes to a
// log file (so a chatty server can never block on a full pipe). Killed if still running when
// the object goes away.
class Process {
public:
    // `socket`, when given, becomes the program's fd 3: a socket the test bound, to serve on (as
    // inetd and systemd hand servers theirs), so that its port is never free for others to take.
    // The program runs in `working_dir`, or in a fresh directory of its own: what it makes by
    // default under ./var (chapter 27's certificate) never meets another test's.
    Process(const std::string& program, const std::vector<std::string>& args, int socket = -1,
            const std::filesystem::path& working_dir = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    // The port from the readiness line "listening on <protocol> ADDR:PORT", reading stdout
    // until it appears. Fails the test and returns 0 when it does not come in time.
    std::uint16_t port(const std::string& protocol, Milliseconds timeout = 10s);

    // The next line of stdout; nullopt on timeout or end of output.
    std::optional<std::string> read_stdout_line(Milliseconds timeout = 10s);

    void send_signal(int signal);
    // The exit code (or 128 + signal number when killed by a signal); nullopt on timeout.
    std::optional<int> wait(Milliseconds timeout = 20s);
    // SIGTERM, then wait.
    std::optional<int> stop(Milliseconds timeout = 20s);

    std::string log() const; // everything written to stderr so far
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string stdout_buffer_;
    std::map<std::string, std::uint16_t> ports_;
    std::optional<int> exit_code_;
    TempDir log_dir_;
};

struct RunResult {
    int exit_code = -1; // 128 + signal number when killed by a signal; -1 on timeout
    std::string out;
    std::string err;
};

// Runs a program to completion (curl, swaks, python3, ...), feeding `input` on stdin.
RunResult run(const std::string& program, const std::vector<std::string>& args, const std::string& input = "",
              Milliseconds timeout = 60s);

} // namespace mailsteps::testing
