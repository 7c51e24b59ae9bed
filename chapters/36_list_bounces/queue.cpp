#include "queue.hpp"

#include "durable_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>

namespace relay {
namespace {

namespace fs = std::filesystem;
using mailsteps::Existing;

std::error_code write_file(const fs::path& temporary, const fs::path& target, std::string_view text,
                           Existing existing, const mailsteps::Spool* body = nullptr) {
    std::array<std::string_view, 1> parts{text};
    return mailsteps::write_durably(temporary, target, parts, existing, body);
}

std::error_code remove_file(const fs::path& path) {
    return ::unlink(path.c_str()) == 0 ? std::error_code{} : std::error_code{errno, std::system_category()};
}

// A directory's names, read before anything in it changes.
std::vector<std::string> names_in(const fs::path& directory, std::vector<std::string>& problems) {
    std::vector<std::string> names;
    std::error_code error;
    for (fs::directory_iterator it{directory, error}, end; !error && it != end; it.increment(error)) {
        names.push_back(it->path().filename().string());
    }
    if (error) {
        problems.push_back("cannot list " + directory.string() + ": " + error.message());
    }
    return names;
}

// The entry envelopes/<name> describes, if it is whole and its message is there.
std::variant<QueueEntry, EnvelopeError> read_entry(const fs::path& envelopes, const fs::path& messages,
                                                   const std::string& name) {
    if (!is_queue_id(name)) {
        return EnvelopeError{"not a queue id"};
    }
    auto text = mailsteps::read_regular_file(envelopes / name, max_envelope_size);
    if (auto* error = std::get_if<std::error_code>(&text)) {
        return EnvelopeError{error->message()};
    }
    auto parsed = parse_envelope(std::get<std::string>(text));
    if (auto* entry = std::get_if<QueueEntry>(&parsed); entry && entry->id != name) {
        return EnvelopeError{"its id line names another entry"};
    }
    std::error_code ignored;
    if (!fs::is_regular_file(messages / name, ignored)) {
        return EnvelopeError{"its message file is missing"};
    }
    return parsed;
}

}  // namespace

Queue::Queue(fs::path directory)
    : messages_{directory / "messages"}, envelopes_{directory / "envelopes"}, tmp_{directory / "tmp"},
      quarantine_{directory / "quarantine"} {
    for (const fs::path* sub : {&messages_, &envelopes_, &tmp_, &quarantine_}) {
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
    // With Existing::refuse, whatever stands at the target after any error but file_exists is
    // ours (a name given just before a failed directory sync), so it is ours to take back.
    if (auto error = write_file(tmp_ / (entry.id + ".message"), message, head, Existing::refuse, &body)) {
        if (error != std::errc::file_exists) {
            remove_file(message);
        }
        return error;
    }
    auto error = write_file(tmp_ / (entry.id + ".envelope"), envelopes_ / entry.id, *envelope, Existing::refuse);
    if (error) {
        if (error != std::errc::file_exists) {
            remove_file(envelopes_ / entry.id);
        }
        remove_file(message);
    }
    return error;
}

std::error_code Queue::update(const QueueEntry& entry) {
    auto envelope = format_envelope(entry);
    if (!envelope) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    auto target = envelopes_ / entry.id;
    if (::access(target.c_str(), F_OK) != 0) {
        return std::error_code{errno, std::system_category()};  // not queued: nothing to update
    }
    return write_file(tmp_ / (entry.id + ".envelope"), target, *envelope, Existing::replace);
}

// The envelope goes first: a crash in between leaves a message without an envelope, which
// load() cleans up, never an envelope that promises a missing message.
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
    return mailsteps::read_regular_file(messages_ / id, std::numeric_limits<std::size_t>::max());
}

Queue::Loaded Queue::load() {
    Loaded loaded;
    auto& problems = loaded.problems;
    std::error_code ignored;

    for (const auto& name : names_in(tmp_, problems)) {
        fs::remove_all(tmp_ / name, ignored);
        problems.push_back("removed tmp/" + name + ", a write that did not finish");
    }

    for (const auto& name : names_in(envelopes_, problems)) {
        auto read = read_entry(envelopes_, messages_, name);
        if (auto* entry = std::get_if<QueueEntry>(&read)) {
            loaded.entries.push_back(std::move(*entry));
            continue;
        }
        // The message moves first: whichever move fails, nothing is left as a removable orphan.
        std::error_code error;
        if (fs::exists(fs::symlink_status(messages_ / name, ignored))) {
            fs::rename(messages_ / name, quarantine_ / (name + ".message"), error);
        }
        if (!error) {
            fs::rename(envelopes_ / name, quarantine_ / (name + ".envelope"), error);
        }
        const auto& why = std::get<EnvelopeError>(read).what;
        problems.push_back(error ? "could not quarantine envelopes/" + name + " (" + why + "): " + error.message()
                                 : "quarantined envelopes/" + name + ": " + why);
    }

    for (const auto& name : names_in(messages_, problems)) {
        if (!fs::exists(fs::symlink_status(envelopes_ / name, ignored))) {
            fs::remove_all(messages_ / name, ignored);
            problems.push_back("removed messages/" + name + ", which has no envelope");
        }
    }

    std::sort(loaded.entries.begin(), loaded.entries.end(), [](const QueueEntry& a, const QueueEntry& b) {
        return std::tie(a.arrival, a.id) < std::tie(b.arrival, b.id);
    });
    return loaded;
}

}  // namespace relay
