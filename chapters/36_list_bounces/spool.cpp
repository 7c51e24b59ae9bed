#include "spool.hpp"

#include "durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>

namespace mailsteps {
namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

// A file in `directory` that no name leads to. O_TMPFILE makes it so at once; where the file
// system cannot, the name mkstemp(3) gave it is removed straight away.
int open_nameless_file(const std::filesystem::path& directory) {
    int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR)) {
        return fd;
    }
    std::string name = (directory / ".spool-XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) {
        ::unlink(name.c_str());
    }
    return fd;
}

} // namespace

std::error_code Spool::append(std::string_view text) {
    if (!error_ && memory_.size() + text.size() > memory_limit_) {
        error_ = write_out();
    }
    if (!error_) {
        memory_ += text;
    }
    return error_;
}

void Spool::clear() {
    memory_ = std::string();
    file_.reset();
    on_disk_ = 0;
    error_.clear();
}

std::error_code Spool::write_out() {
    if (!file_) {
        if (auto error = make_private_directory(directory_)) {
            return error;
        }
        file_.emplace(open_nameless_file(directory_));
        if (!file_->is_open()) {
            return last_error();
        }
    }
    if (auto error = write_all(file_->get(), memory_)) {
        return error;
    }
    on_disk_ += memory_.size();
    memory_.clear();
    return {};
}

std::error_code Spool::read(const Piece& piece) const {
    if (error_) {
        return error_;
    }
    std::array<char, 64 * 1024> buffer;
    for (std::uint64_t offset = 0; offset < on_disk_;) {
        // pread(2) reads at an offset and leaves the file's own one, where append() writes, alone.
        auto got = ::pread(file_->get(), buffer.data(), buffer.size(), static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return got < 0 ? last_error() : std::make_error_code(std::errc::io_error);
        }
        if (auto error = piece({buffer.data(), static_cast<std::size_t>(got)})) {
            return error;
        }
        offset += static_cast<std::uint64_t>(got);
    }
    return memory_.empty() ? std::error_code{} : piece(memory_);
}

} // namespace mailsteps
