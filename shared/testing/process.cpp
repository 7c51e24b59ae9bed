#include "shared/testing/process.hpp"

#include "shared/testing/files.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace mailsteps::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Starts `program` with the given standard streams (file descriptors, -1: /dev/null) and, unless
// it is -1, `socket` as its fd 3.
pid_t spawn(const std::string& program, const std::vector<std::string>& args, int in, int out, int err,
            int socket = -1, const std::filesystem::path& working_dir = {}) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!working_dir.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
    }
    auto redirect = [&](int fd, int target) {
        if (fd >= 0) {
            posix_spawn_file_actions_adddup2(&actions, fd, target);
        } else {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0);
        }
    };
    redirect(in, STDIN_FILENO);
    redirect(out, STDOUT_FILENO);
    redirect(err, STDERR_FILENO);
    if (socket >= 0) {
        posix_spawn_file_actions_adddup2(&actions, socket, 3); // the copy is not closed on exec
    }
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    int error = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
        throw std::system_error(error, std::generic_category(), "cannot start " + program);
    }
    return pid;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// Waits for `pid` to exit, polling so that a hung child cannot hang the test.
std::optional<int> wait_for(pid_t pid, Milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return exit_code_of(status);
        }
        if (done < 0 || Clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(5ms);
    }
}


int open_file(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "open " + path);
    }
    return fd;
}

} // namespace

Process::Process(const std::string& program, const std::vector<std::string>& args, int socket,
                 const std::filesystem::path& working_dir) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    int log_fd = open_file((log_dir_.path() / "stderr").string(), O_WRONLY | O_CREAT | O_TRUNC);
    try {
        pid_ = spawn(program, args, -1, pipe_fds[1], log_fd, socket,
                     working_dir.empty() ? log_dir_.path() : working_dir);
    } catch (...) {
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        ::close(log_fd);
        throw;
    }
    ::close(pipe_fds[1]);
    ::close(log_fd);
    stdout_fd_ = pipe_fds[0];
}

Process::~Process() {
    if (!exit_code_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait(5s);
    }
    if (stdout_fd_ >= 0) {
        ::close(stdout_fd_);
    }
}

std::optional<std::string> Process::read_stdout_line(Milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto newline = stdout_buffer_.find('\n');
        if (newline != std::string::npos) {
            std::string line = stdout_buffer_.substr(0, newline);
            stdout_buffer_.erase(0, newline + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<Milliseconds>(deadline - Clock::now());
        pollfd readable{stdout_fd_, POLLIN, 0};
        int ready = left <= 0ms ? 0 : ::poll(&readable, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue; // a signal landed on this thread; the deadline still holds
        }
        if (ready <= 0) {
            return std::nullopt;
        }
        char chunk[4096];
        auto size = ::read(stdout_fd_, chunk, sizeof chunk);
        if (size <= 0) {
            return std::nullopt;
        }
        stdout_buffer_.append(chunk, static_cast<std::size_t>(size));
    }
}

std::uint16_t Process::port(const std::string& protocol, Milliseconds timeout) {
    static const std::regex readiness(R"(listening on (\S+) (\S+):(\d+))");
    auto deadline = Clock::now() + timeout;
    while (!ports_.contains(protocol)) {
        auto left = std::chrono::duration_cast<Milliseconds>(deadline - Clock::now());
        auto line = read_stdout_line(std::max(left, 0ms));
        if (!line) {
            ADD_FAILURE() << "no line 'listening on " << protocol << "' within " << timeout.count()
                          << " ms; log:\n" << log();
            return 0;
        }
        std::smatch match;
        if (std::regex_match(*line, match, readiness)) {
            ports_[match[1]] = static_cast<std::uint16_t>(std::stoi(match[3]));
        }
    }
    return ports_[protocol];
}

void Process::send_signal(int signal) {
    if (!exit_code_) {
        ::kill(pid_, signal);
    }
}

std::optional<int> Process::wait(Milliseconds timeout) {
    if (!exit_code_) {
        exit_code_ = wait_for(pid_, timeout);
    }
    return exit_code_;
}

std::optional<int> Process::stop(Milliseconds timeout) {
    send_signal(SIGTERM);
    return wait(timeout);
}

std::string Process::log() const { return read_file((log_dir_.path() / "stderr").string()); }

RunResult run(const std::string& program, const std::vector<std::string>& args, const std::string& input,
              Milliseconds timeout) {
    TempDir files;
    auto in_path = (files.path() / "stdin").string();
    std::ofstream(in_path, std::ios::binary) << input;
    auto out_path = (files.path() / "stdout").string();
    auto err_path = (files.path() / "stderr").string();
    int in = open_file(in_path, O_RDONLY);
    int out = open_file(out_path, O_WRONLY | O_CREAT | O_TRUNC);
    int err = open_file(err_path, O_WRONLY | O_CREAT | O_TRUNC);
    pid_t pid = spawn(program, args, in, out, err);
    ::close(in);
    ::close(out);
    ::close(err);
    RunResult result;
    if (auto code = wait_for(pid, timeout)) {
        result.exit_code = *code;
    } else {
        ::kill(pid, SIGKILL);
        wait_for(pid, 5s);
    }
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

} // namespace mailsteps::testing
