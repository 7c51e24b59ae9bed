#include "shared/maildir.hpp"

#include "shared/ascii.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <utility>

namespace mailsteps {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_local_part = 64;  // RFC 5321 4.5.3.1.1
constexpr std::size_t max_domain = 255;     // RFC 5321 4.5.3.1.2, also NAME_MAX

std::error_code last_error() { return {errno, std::system_category()}; }

// A name we are willing to use as one directory below the root: it cannot climb out ("..",
// '/'), hide (leading '.') or smuggle control characters into a path.
bool is_safe_name(std::string_view name, std::size_t max_length) {
    if (name.empty() || name.size() > max_length || name.starts_with('.') ||
        name.find("..") != std::string_view::npos) {
        return false;
    }
    for (char c : name) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '/' || byte < 0x20 || byte == 0x7f) {
            return false;
        }
    }
    return true;
}

std::string lowercase(std::string_view text) {
    std::string lower;
    for (char c : text) {
        lower += to_lower(c);
    }
    return lower;
}

// Maildir: "unique names" with the host name's '/' and ':' written as \057 and \072.
const std::string& host_name() {
    static const std::string name = [] {
        char buffer[256]{};
        if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') {
            return std::string{"localhost"};
        }
        std::string escaped;
        for (const char* c = buffer; *c != '\0'; ++c) {
            if (*c == '/') {
                escaped += "\\057";
            } else if (*c == ':') {
                escaped += "\\072";
            } else {
                escaped += *c;
            }
        }
        return escaped;
    }();
    return name;
}

// Owns a file descriptor. close() is explicit because its error matters: some file
// systems report a failed write only there.
class File {
public:
    explicit File(int fd) : fd_{fd} {}
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    bool is_open() const { return fd_ >= 0; }
    int get() const { return fd_; }

    std::error_code close() {
        return ::close(std::exchange(fd_, -1)) == 0 ? std::error_code{} : last_error();
    }

private:
    int fd_;
};

// write(2) may write less than asked, or be interrupted by a signal before writing anything.
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

std::error_code sync(int fd) {
    while (::fsync(fd) != 0) {
        if (errno != EINTR) {
            return last_error();
        }
    }
    return {};
}

// A new or renamed directory entry is durable only once its directory is synced.
std::error_code sync_directory(const fs::path& directory) {
    File dir{::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!dir.is_open()) {
        return last_error();
    }
    if (auto error = sync(dir.get())) {
        return error;
    }
    return dir.close();
}

// mkdir -p with mode 0700, syncing each parent that gains an entry so that a new Maildir
// survives a crash together with its first message.
std::error_code make_directory(const fs::path& directory) {
    if (::mkdir(directory.c_str(), 0700) == 0) {
        return sync_directory(directory.parent_path());
    }
    if (errno == EEXIST) {
        return {};
    }
    auto parent = directory.parent_path();
    if (errno != ENOENT || parent.empty() || parent == directory) {
        return last_error();
    }
    if (auto error = make_directory(parent)) {
        return error;
    }
    return make_directory(directory);
}

std::error_code write_and_sync(File& file, std::span<const std::string_view> parts) {
    for (auto part : parts) {
        if (auto error = write_all(file.get(), part)) {
            return error;
        }
    }
    if (auto error = sync(file.get())) {
        return error;
    }
    return file.close();
}

// O_EXCL: never overwrite, even if a name somehow repeats. A file we created but could not
// finish is removed; a file we did not create is left alone.
std::error_code write_new_file(const fs::path& path, std::span<const std::string_view> parts) {
    File file{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (!file.is_open()) {
        return last_error();
    }
    auto error = write_and_sync(file, parts);
    if (error) {
        ::unlink(path.c_str());
    }
    return error;
}

}  // namespace

std::optional<fs::path> mailbox_path(const fs::path& root, std::string_view domain, std::string_view local_part) {
    if (!is_safe_name(domain, max_domain) || !is_safe_name(local_part, max_local_part)) {
        return std::nullopt;
    }
    return root / lowercase(domain) / lowercase(local_part);
}

std::string unique_file_name() {
    static std::atomic<std::uint64_t> calls{0};
    using namespace std::chrono;
    auto now = system_clock::now().time_since_epoch();
    auto whole_seconds = duration_cast<seconds>(now);
    auto micros = duration_cast<microseconds>(now - whole_seconds);
    return std::to_string(whole_seconds.count()) + ".M" + std::to_string(micros.count()) + "P" +
           std::to_string(::getpid()) + "Q" + std::to_string(calls.fetch_add(1) + 1) + "." + host_name();
}

std::variant<Delivered, std::error_code> deliver_to_maildir(const fs::path& maildir,
                                                            std::span<const std::string_view> parts) {
    for (const char* sub : {"tmp", "new", "cur"}) {
        if (auto error = make_directory(maildir / sub)) {
            return error;
        }
    }
    auto name = unique_file_name();
    auto in_tmp = maildir / "tmp" / name;
    auto in_new = maildir / "new" / name;

    if (auto error = write_new_file(in_tmp, parts)) {
        return error;
    }
    if (::rename(in_tmp.c_str(), in_new.c_str()) != 0) {
        auto error = last_error();
        ::unlink(in_tmp.c_str());
        return error;
    }
    // Until new/ is synced a crash could lose the message we are about to confirm; if the
    // sync fails, take the message back so that the client retries rather than trusts it.
    if (auto error = sync_directory(maildir / "new")) {
        ::unlink(in_new.c_str());
        return error;
    }
    return Delivered{name};
}

}  // namespace mailsteps
