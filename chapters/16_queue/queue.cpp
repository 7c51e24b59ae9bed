#include "queue.hpp"

#include "durable_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>

namespace relay {
namespace {

namespace fs = std::filesystem;

std::error_code write_file(const fs::path& temporary, const fs::path& target, std::string_view text,
                           const mailsteps::Spool* body = nullptr) {
    std::array<std::string_view, 1> parts{text};
    return mailsteps::write_durably(temporary, target, parts, body);
}

std::error_code remove_file(const fs::path& path) {
    return ::unlink(path.c_str()) == 0 ? std::error_code{} : std::error_code{errno, std::system_category()};
}

}  // namespace

Queue::Queue(fs::path directory)
    : messages_{directory / "messages"}, envelopes_{directory / "envelopes"}, tmp_{directory / "tmp"} {
    for (const fs::path* sub : {&messages_, &envelopes_, &tmp_}) {
        if (auto error = mailsteps::make_private_directory(*sub)) {
            throw std::system_error(error, "queue directory " + sub->string());
        }
    }
}

std::error_code Queue::add(const QueueEntry& entry, std::string_view head, const mailsteps::Spool& body) {
    auto envelope = format_envelope(entry);
    if (!envelope) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    auto message = messages_ / entry.id;
    // Whatever stands at the target after any error but file_exists is ours (a name given just
    // before a failed directory sync), so it is ours to take back.
    if (auto error = write_file(tmp_ / (entry.id + ".message"), message, head, &body)) {
        if (error != std::errc::file_exists) {
            remove_file(message);
        }
        return error;
    }
    auto error = write_file(tmp_ / (entry.id + ".envelope"), envelopes_ / entry.id, *envelope);
    if (error) {
        if (error != std::errc::file_exists) {
            remove_file(envelopes_ / entry.id);
        }
        remove_file(message);
    }
    return error;
}

// The envelope goes first: a crash in between leaves a message without an envelope, which
// nobody will send (chapter 17 cleans it up), never an envelope that promises a missing message.
std::error_code Queue::remove(const std::string& id) {
    if (!is_queue_id(id)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    if (auto error = remove_file(envelopes_ / id)) {
        return error;
    }
    if (auto error = mailsteps::sync_directory(envelopes_)) {
        return error;
    }
    if (auto error = remove_file(messages_ / id)) {
        return error;
    }
    return mailsteps::sync_directory(messages_);
}

std::variant<std::string, std::error_code> Queue::read_message(const std::string& id) const {
    if (!is_queue_id(id)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    std::ifstream file(messages_ / id, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    if (!file.is_open() || file.bad()) {
        return std::make_error_code(std::errc::io_error);
    }
    return text;
}

}  // namespace relay
