#include "maildrop.hpp"

#include "durable_file.hpp"
#include "pop3_data.hpp"

#include "shared/file_descriptor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <compare>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <utility>

namespace pop3 {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_unique_id = 70; // RFC 1939 7

std::error_code last_error() { return {errno, std::system_category()}; }

bool is_unique_id(std::string_view id) {
    return !id.empty() && id.size() <= max_unique_id &&
           std::all_of(id.begin(), id.end(), [](char c) { return c >= '!' && c <= '~'; });
}

// FNV-1a, 64 bits (http://www.isthe.com/chongo/tech/comp/fnv/): a few lines, public and the same
// everywhere, which is all a unique-id needs. It does not resist names chosen to collide.
std::uint64_t fnv1a_64(std::string_view text) {
    std::uint64_t hash = 14695981039346656037u;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211u;
    }
    return hash;
}

std::string hex(std::uint64_t value) {
    constexpr char digits[] = "0123456789abcdef";
    std::string text(16, '0');
    for (auto i = text.size(); i-- > 0; value >>= 4) {
        text[i] = digits[value & 0xf];
    }
    return text;
}

struct DeliveryTime {
    std::uint64_t seconds = 0;
    std::uint64_t microseconds = 0;
    auto operator<=>(const DeliveryTime&) const = default;
};

// When the message arrived, from the "<seconds>.M<microseconds>P..." its Maildir name starts with
// (older writers' "<seconds>.<pid>.<host>" gives the seconds). A name that starts otherwise counts
// as delivered at the epoch.
DeliveryTime delivery_time(std::string_view name) {
    DeliveryTime time;
    const char* end = name.data() + name.size();
    auto [after_seconds, error] = std::from_chars(name.data(), end, time.seconds);
    if (error != std::errc{} || after_seconds == end || *after_seconds != '.') {
        return {};
    }
    if (std::string_view{after_seconds + 1, end}.starts_with('M')) {
        std::from_chars(after_seconds + 2, end, time.microseconds); // stays 0 if no number follows
    }
    return time;
}

struct Found {
    DeliveryTime time;
    std::string name;
    const char* folder; // "new" or "cur"

    std::string file() const { return std::string{folder} + '/' + name; }
};

// Is this directory entry a regular file (not a symlink, directory or device)? readdir(3) says so itself
// on the file systems mail lives on; only where it does not (DT_UNKNOWN) does it take an lstat(2), which
// on a cold disk is one inode read per message.
bool is_regular_file(const fs::path& directory, const dirent& entry) {
    if (entry.d_type != DT_UNKNOWN) {
        return entry.d_type == DT_REG;
    }
    struct stat status {};
    return ::lstat((directory / entry.d_name).c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

// The regular files of a Maildir's `folder`, leaving out names starting with '.', which Maildir readers skip.
std::error_code find_messages(const fs::path& maildir, const char* folder, std::vector<Found>& found) {
    auto directory = maildir / folder;
    std::unique_ptr<DIR, int (*)(DIR*)> listing{::opendir(directory.c_str()), ::closedir};
    if (!listing) {
        return last_error();
    }
    // readdir(3) returns null both at the end and on an error; only errno tells them apart.
    for (errno = 0; const dirent* entry = ::readdir(listing.get()); errno = 0) {
        std::string_view name = entry->d_name;
        if (!name.starts_with('.') && is_regular_file(directory, *entry)) {
            found.push_back({delivery_time(name), std::string{name}, folder});
        }
    }
    return errno == 0 ? std::error_code{} : last_error();
}

// wire_size of a file, read block by block through `buffer`, which serves every file in turn.
std::variant<std::uint64_t, std::error_code> file_wire_size(const fs::path& path, std::span<char> buffer) {
    // O_NONBLOCK and the fstat: a FIFO or device swapped in since the listing must not hang us.
    mailsteps::FileDescriptor file{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    struct stat status {};
    if (file.get() < 0 || ::fstat(file.get(), &status) != 0) {
        return last_error();
    }
    if (!S_ISREG(status.st_mode)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    WireSize size;
    for (;;) {
        auto got = ::read(file.get(), buffer.data(), buffer.size());
        if (got == 0) {
            return size.total();
        }
        if (got < 0 && errno != EINTR) {
            return last_error();
        }
        if (got > 0) {
            size.add({buffer.data(), static_cast<std::size_t>(got)});
        }
    }
}

// The wire size a Maildir writer recorded in the name, ",W=<octets>" before any ":2," info: our own
// deliveries (maildir.cpp) and Dovecot's carry it. Nothing if absent or not a plain number.
std::optional<std::uint64_t> wire_size_in_name(std::string_view name) {
    auto base = name.substr(0, name.find(':'));
    auto at = base.rfind(",W=");
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    auto digits = base.substr(at + 3);
    digits = digits.substr(0, digits.find(','));
    std::uint64_t size = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
    if (error != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return size;
}

// From the name if it says, so that a login opens no file; otherwise by reading the file.
std::variant<std::uint64_t, std::error_code> message_wire_size(const fs::path& maildir, const Found& found,
                                                              std::span<char> buffer) {
    if (auto size = wire_size_in_name(found.name)) {
        return *size;
    }
    return file_wire_size(maildir / found.file(), buffer);
}

// RFC 1939 4: the messages, numbered and sized once, at the start of the session. Oldest first, so that
// message 1 is the first that arrived; the name breaks ties, so the order is the same every time.
std::variant<std::vector<Message>, std::error_code> list_messages(const fs::path& maildir) {
    std::vector<Found> found;
    for (const char* folder : {"new", "cur"}) {
        if (auto error = find_messages(maildir, folder, found)) {
            return error;
        }
    }
    std::sort(found.begin(), found.end(),
              [](const Found& a, const Found& b) { return std::tie(a.time, a.name) < std::tie(b.time, b.name); });

    std::vector<Message> messages;
    messages.reserve(found.size());
    std::vector<char> buffer(64 * 1024);
    for (const auto& file : found) {
        auto size = message_wire_size(maildir, file, buffer);
        if (auto* error = std::get_if<std::error_code>(&size)) {
            // Another reader (mutt, say) moved or removed it since the listing: not ours to show.
            if (*error == std::errc::no_such_file_or_directory) {
                continue;
            }
            return *error;
        }
        messages.push_back({file.file(), unique_id(file.name), std::get<std::uint64_t>(size)});
    }
    return messages;
}

// A message's file, opened relative to the open Maildir (one directory to look up, not the whole
// path) and read with one read(2): Maildir never changes a file once delivered, so the size fstat(2)
// gives is all there is, and there is no need to read on until read(2) says the file has ended.
std::variant<std::string, std::error_code> read_message_file(int maildir, const std::string& file,
                                                             std::uint64_t max_size) {
    mailsteps::FileDescriptor message{::openat(maildir, file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    struct stat status {};
    if (!message.is_open() || ::fstat(message.get(), &status) != 0) {
        return last_error();
    }
    if (!S_ISREG(status.st_mode)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    if (static_cast<std::uint64_t>(status.st_size) > max_size) {
        return std::make_error_code(std::errc::file_too_large);
    }
    std::string content(static_cast<std::size_t>(status.st_size), '\0');
    for (std::size_t got = 0; got < content.size();) {
        auto read = ::read(message.get(), content.data() + got, content.size() - got);
        if (read < 0 && errno != EINTR) {
            return last_error();
        }
        if (read == 0) { // shorter than fstat(2) said: it changed since, against the rule
            return std::make_error_code(std::errc::io_error);
        }
        got += read > 0 ? static_cast<std::size_t>(read) : 0;
    }
    return content;
}

} // namespace

std::string unique_id(std::string_view file_name) {
    auto base = file_name.substr(0, file_name.find(':'));
    return is_unique_id(base) ? std::string{base} : hex(fnv1a_64(base));
}

std::variant<Maildrop, Maildrop::OpenError> Maildrop::open(const fs::path& maildir) {
    for (const char* sub : {"tmp", "new", "cur"}) {
        if (mailsteps::make_private_directory(maildir / sub)) {
            return OpenError::failed;
        }
    }
    // Maildir readers like mutt take no lock (Maildir needs none); this one keeps POP3 sessions apart.
    mailsteps::FileDescriptor lock{
        ::open((maildir / "pop3.lock").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (lock.get() < 0) {
        return OpenError::failed;
    }
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        return errno == EWOULDBLOCK ? OpenError::in_use : OpenError::failed;
    }
    auto messages = list_messages(maildir);
    if (!std::holds_alternative<std::vector<Message>>(messages)) {
        return OpenError::failed; // RFC 1939 4: the lock goes before the refusal, with `lock`
    }
    mailsteps::FileDescriptor directory{::open(maildir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!directory.is_open()) {
        return OpenError::failed;
    }
    return Maildrop{maildir, lock.release(), std::move(directory), std::get<std::vector<Message>>(std::move(messages))};
}

Maildrop::Maildrop(fs::path maildir, int lock_fd, mailsteps::FileDescriptor directory, std::vector<Message> messages)
    : maildir_{std::move(maildir)}, lock_fd_{lock_fd}, directory_{std::move(directory)},
      messages_{std::move(messages)}, deleted_(messages_.size(), false) {}

Maildrop::Maildrop(Maildrop&& other) noexcept
    : maildir_{std::move(other.maildir_)}, lock_fd_{std::exchange(other.lock_fd_, -1)},
      directory_{std::move(other.directory_)}, messages_{std::move(other.messages_)},
      deleted_{std::move(other.deleted_)} {}

Maildrop::~Maildrop() {
    if (lock_fd_ >= 0) {
        ::close(lock_fd_);
    }
}

const Message* Maildrop::find(std::size_t number) const {
    if (number == 0 || number > messages_.size() || deleted_[number - 1]) {
        return nullptr;
    }
    return &messages_[number - 1];
}

std::size_t Maildrop::size() const { return messages_.size(); }

std::size_t Maildrop::count() const {
    return static_cast<std::size_t>(std::count(deleted_.begin(), deleted_.end(), false));
}

std::uint64_t Maildrop::total_size() const {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        total += deleted_[i] ? 0 : messages_[i].size;
    }
    return total;
}

bool Maildrop::is_deleted(std::size_t number) const {
    return number != 0 && number <= messages_.size() && deleted_[number - 1];
}

bool Maildrop::mark_deleted(std::size_t number) {
    if (find(number) == nullptr) {
        return false;
    }
    deleted_[number - 1] = true;
    return true;
}

void Maildrop::unmark_all() { std::fill(deleted_.begin(), deleted_.end(), false); }

std::variant<std::string, std::error_code> Maildrop::read(std::size_t number) const {
    const Message* message = find(number);
    if (message == nullptr) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    // The content is never longer than its wire size, so the size announced at login bounds the read.
    return read_message_file(directory_.get(), message->file, message->size);
}

std::error_code Maildrop::commit() {
    std::error_code first_error;
    auto note = [&first_error](std::error_code error) {
        if (!first_error) {
            first_error = error;
        }
    };
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        if (deleted_[i] && ::unlink((maildir_ / messages_[i].file).c_str()) != 0 && errno != ENOENT) {
            note(last_error());
        }
    }
    // A removal, like a delivery, is durable only once its directory is synced.
    for (const char* sub : {"new", "cur"}) {
        note(mailsteps::sync_directory(maildir_ / sub));
    }
    return first_error;
}

} // namespace pop3
