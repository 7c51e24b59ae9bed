#pragma once

// Faults a test injects into a running server, undone when the object goes away. The tests
// run as root, for whom file modes are no obstacle, so these are faults root meets too.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/types.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

namespace mailsteps::testing {

// "The disk is full" for one process: RLIMIT_FSIZE, set on it while it runs (prlimit(2), what
// `prlimit --pid PID --fsize=BYTES:unlimited` does). Its writes past `bytes` into any file then
// fail with EFBIG, as long as it ignores SIGXFSZ, which by default kills it. The hard limit
// stays unlimited, so that lift() can raise the soft one again.
class FileSizeLimit {
public:
    FileSizeLimit(pid_t pid, rlim_t bytes) : pid_(pid) { set(bytes); }
    ~FileSizeLimit() { lift(); }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

    void lift() {
        if (!lifted_) {
            lifted_ = true;
            set(RLIM_INFINITY);
        }
    }

private:
    void set(rlim_t soft) {
        const rlimit limit{soft, RLIM_INFINITY};
        EXPECT_EQ(::prlimit(pid_, RLIMIT_FSIZE, &limit, nullptr), 0)
            << "prlimit: " << std::error_code(errno, std::system_category()).message();
    }

    pid_t pid_;
    bool lifted_ = false;
};

// A regular file where the directory `path` should be, so that every path through it fails
// (ENOTDIR), as when a disk is mounted wrongly or an admin slips. The directory waits beside
// it, as `path`.aside, until restore() or the end of the scope puts it back.
class FileInTheWay {
public:
    explicit FileInTheWay(std::filesystem::path path) : path_(std::move(path)), aside_(path_.string() + ".aside") {
        if (std::filesystem::exists(path_)) {
            std::filesystem::rename(path_, aside_);
        }
        std::ofstream(path_) << "a file where a directory should be\n";
    }
    ~FileInTheWay() { restore(); }
    FileInTheWay(const FileInTheWay&) = delete;
    FileInTheWay& operator=(const FileInTheWay&) = delete;

    void restore() {
        if (!restored_) {
            restored_ = true;
            std::filesystem::remove(path_);
            if (std::filesystem::exists(aside_)) {
                std::filesystem::rename(aside_, path_);
            }
        }
    }

private:
    std::filesystem::path path_;
    std::filesystem::path aside_;
    bool restored_ = false;
};

} // namespace mailsteps::testing
