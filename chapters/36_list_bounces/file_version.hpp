#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>

namespace mailsteps {

// What stat(2) says about a file; any difference means it may have changed. How the users file
// and the aliases file notice an edit without a restart.
struct FileVersion {
    int error = 0;  // errno of a failed stat: ENOENT for a missing file
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;

    bool operator==(const FileVersion&) const = default;

    static FileVersion of(const std::filesystem::path& file) {
        struct stat status {};
        if (::stat(file.c_str(), &status) != 0) {
            return {.error = errno};
        }
        return {
            .device = status.st_dev,
            .inode = status.st_ino,
            .size = status.st_size,
            .mtime_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec,
        };
    }
};

}  // namespace mailsteps
