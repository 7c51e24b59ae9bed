#pragma once

#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace mailsteps {

// Owns a file descriptor: it is closed on every way out of a scope, which also releases any
// flock(2) held through it. close() is there too, because its error can matter: some file
// systems report a failed write only when the file is closed.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_{fd} {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_{other.release()} {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    bool is_open() const { return fd_ >= 0; }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

    std::error_code close() {
        return ::close(std::exchange(fd_, -1)) == 0 ? std::error_code{} : std::error_code{errno, std::system_category()};
    }

private:
    int fd_;
};

} // namespace mailsteps
