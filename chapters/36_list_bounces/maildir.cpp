#include "maildir.hpp"

#include "durable_file.hpp"

#include "shared/ascii.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mailsteps {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_local_part = 64;  // RFC 5321 4.5.3.1.1
constexpr std::size_t max_domain = 255;     // RFC 5321 4.5.3.1.2, also NAME_MAX

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

// The ",S=<octets>,W=<octets with CRLF>" part of a name (see deliver_to_maildir). An LF
// with a CR before it is already a CRLF; any other LF will be sent as two octets.
std::error_code sizes_for_name(std::span<const std::string_view> parts, const Spool* body, std::string& sizes) {
    std::uint64_t octets = 0;
    std::uint64_t lone_line_feeds = 0;
    char previous = '\n';
    auto count = [&](std::string_view part) {
        for (char c : part) {
            if (c == '\n' && previous != '\r') {
                ++lone_line_feeds;
            }
            previous = c;
        }
        octets += part.size();
        return std::error_code{};
    };
    for (auto part : parts) {
        count(part);
    }
    if (body) {
        if (auto error = body->read(count)) {
            return error;
        }
    }
    sizes = ",S=" + std::to_string(octets);
    if (previous == '\n') {
        sizes += ",W=" + std::to_string(octets + lone_line_feeds);
    }
    return {};
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
                                                            std::span<const std::string_view> parts,
                                                            const Spool* body) {
    std::string sizes;
    if (auto error = sizes_for_name(parts, body, sizes)) {
        return error;
    }
    auto name = unique_file_name() + sizes;
    auto in_new = maildir / "new" / name;
    auto error = write_durably(maildir / "tmp" / name, in_new, parts, Existing::refuse, body);
    // The folders are made when a delivery finds one missing, the first for the mailbox, not
    // checked before every delivery: that was six system calls a message, each walking the path.
    if (error == std::errc::no_such_file_or_directory) {
        for (const char* sub : {"tmp", "new", "cur"}) {
            if (auto made = make_private_directory(maildir / sub)) {
                return made;
            }
        }
        error = write_durably(maildir / "tmp" / name, in_new, parts, Existing::refuse, body);
    }
    if (error) {
        // Only if the last step, syncing new/, failed is the file there: take the message back,
        // so that the client retries rather than trusts a copy a crash could lose.
        if (error != std::errc::file_exists) {
            ::unlink(in_new.c_str());
        }
        return error;
    }
    return Delivered{name};
}

}  // namespace mailsteps
