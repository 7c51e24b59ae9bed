#include "durable_file.hpp"

#include "shared/file_descriptor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace mailsteps {
namespace {

namespace fs = std::filesystem;

std::error_code last_error() { return {errno, std::system_category()}; }

std::error_code sync(int fd) {
    while (::fsync(fd) != 0) {
        if (errno != EINTR) {
            return last_error();
        }
    }
    return {};
}

std::error_code write_new_file(const fs::path& path, std::span<const std::string_view> parts, const Spool* body) {
    FileDescriptor file{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (!file.is_open()) {
        return last_error();
    }
    std::error_code error;
    for (auto part : parts) {
        if (!error) {
            error = write_all(file.get(), part);
        }
    }
    if (!error && body) {
        error = body->read([&](std::string_view piece) { return write_all(file.get(), piece); });
    }
    if (!error) {
        error = sync(file.get());
    }
    if (!error) {
        error = file.close();
    }
    if (error) {
        ::unlink(path.c_str());
    }
    return error;
}

// link(2) fails with EEXIST rather than replace; the temporary name is then dropped.
std::error_code give_name(const fs::path& temporary, const fs::path& target, Existing existing) {
    bool named = existing == Existing::replace ? ::rename(temporary.c_str(), target.c_str()) == 0
                                               : ::link(temporary.c_str(), target.c_str()) == 0;
    auto error = named ? std::error_code{} : last_error();
    if (existing == Existing::refuse || error) {
        ::unlink(temporary.c_str());
    }
    return error;
}

}  // namespace

std::error_code write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        auto written = ::write(fd, data.data(), data.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        if (written == 0) {
            return std::make_error_code(std::errc::io_error);
        }
        data.remove_prefix(static_cast<std::size_t>(written));
    }
    return {};
}

std::error_code make_private_directory(const fs::path& directory) {
    if (::mkdir(directory.c_str(), 0700) == 0) {
        return sync_directory(directory.parent_path());
    }
    if (errno == EEXIST) {
        // Something is there; only a directory will do.
        std::error_code ignored;
        return fs::is_directory(directory, ignored) ? std::error_code{}
                                                    : std::make_error_code(std::errc::not_a_directory);
    }
    auto parent = directory.parent_path();
    if (errno != ENOENT || parent.empty() || parent == directory) {
        return last_error();
    }
    if (auto error = make_private_directory(parent)) {
        return error;
    }
    return make_private_directory(directory);
}

std::error_code sync_directory(const fs::path& directory) {
    FileDescriptor dir{::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!dir.is_open()) {
        return last_error();
    }
    if (auto error = sync(dir.get())) {
        return error;
    }
    return dir.close();
}

std::error_code write_durably(const fs::path& temporary, const fs::path& target,
                              std::span<const std::string_view> parts, Existing existing, const Spool* body) {
    if (auto error = write_new_file(temporary, parts, body)) {
        return error;
    }
    if (auto error = give_name(temporary, target, existing)) {
        return error;
    }
    return sync_directory(target.parent_path());
}

std::variant<std::string, std::error_code> read_regular_file(const fs::path& path, std::size_t max_size) {
    FileDescriptor file{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    if (!file.is_open()) {
        return last_error();
    }
    struct stat status {};
    if (::fstat(file.get(), &status) != 0) {
        return last_error();
    }
    if (!S_ISREG(status.st_mode)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    std::string content;
    char buffer[65536];
    for (;;) {
        auto got = ::read(file.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return last_error();
        }
        if (got == 0) {
            return content;
        }
        if (content.size() + static_cast<std::size_t>(got) > max_size) {
            return std::make_error_code(std::errc::file_too_large);
        }
        content.append(buffer, static_cast<std::size_t>(got));
    }
}

}  // namespace mailsteps
