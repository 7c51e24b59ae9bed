#pragma once

// Faults a test injects into a running server, undone when the object goes away. The tests
// run as root, for whom file modes are no obstacle, so these are faults root meets too.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
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

// A disk that is really full: a small tmpfs mounted over the directory `path`, where writes fail
// with ENOSPC once `bytes` are used. The server reaches `path` by name, so it writes into the
// small disk until unmount() or the end of the scope uncovers the directory beneath. Mounting
// needs CAP_SYS_ADMIN, which root in a container may lack: the caller checks mounted().
class SmallDisk {
public:
    SmallDisk(std::filesystem::path path, std::size_t bytes) : path_(std::move(path)) {
        std::filesystem::create_directories(path_);
        const std::string options = "size=" + std::to_string(bytes);
        mounted_ = ::mount("mailsteps-test", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0;
        if (!mounted_) {
            error_ = std::error_code(errno, std::system_category());
        }
    }
    ~SmallDisk() { unmount(); }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    bool mounted() const { return mounted_; }
    const std::error_code& error() const { return error_; } // why mounting failed

    void unmount() {
        if (mounted_) {
            mounted_ = false;
            EXPECT_EQ(::umount2(path_.c_str(), MNT_DETACH), 0)
                << "umount " << path_ << ": " << std::error_code(errno, std::system_category()).message();
        }
    }

private:
    std::filesystem::path path_;
    bool mounted_ = false;
    std::error_code error_;
};

} // namespace mailsteps::testing
