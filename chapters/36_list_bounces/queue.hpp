#pragma once

#include "queue_entry.hpp"
#include "spool.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace relay {

// RFC 5321 6.1: once we have said 250 to DATA the message is ours, and we "MUST NOT lose the
// message for frivolous reasons, such as because the host later crashes". So every message
// waits on disk, in two files under the queue directory:
//
//   <dir>/messages/<id>    the message text with LF line ends, as chapter 08 stores mail
//   <dir>/envelopes/<id>   who it is from and for, and how delivery went (queue_entry.hpp)
//   <dir>/tmp/             files being written; a leftover here is a write a crash cut short
//   <dir>/quarantine/      envelopes that load() could not read, with their messages
//
// Both files are written to tmp/, synced, renamed into place and their directory synced. The
// message goes first and the envelope last, so an entry appears when its envelope does: a crash
// leaves a whole entry or a message without an envelope, which load() removes.
//
// Each entry has its own files, so calls for different ids may run on many threads at once;
// calls for the same id must not overlap. load() is for start-up, before any other call.
class Queue {
public:
    // Creates the directories (mode 0700) if needed; throws std::system_error if it cannot.
    explicit Queue(std::filesystem::path directory);

    // Stores a new entry and its message; durable when it returns no error. Refuses an id that is
    // already queued (file_exists) and an entry format_envelope() refuses (invalid_argument).
    // On failure nothing of the entry is left.
    // The message is `head` (the relay's Received: header) followed by `body`.
    std::error_code add(const QueueEntry& entry, std::string_view head, const mailsteps::Spool& body);

    // Replaces the entry's envelope, as one step: a crash leaves the old envelope or the new one.
    std::error_code update(const QueueEntry& entry);

    // Removes the entry, envelope first: once every recipient is delivered or bounced.
    std::error_code remove(const std::string& id);

    std::variant<std::string, std::error_code> read_message(const std::string& id) const;

    struct Loaded {
        std::vector<QueueEntry> entries;    // by arrival, oldest first
        std::vector<std::string> problems;  // what was quarantined or cleaned up, for the log
    };

    // Every complete entry. Cleans tmp/, removes messages without an envelope and moves an
    // envelope that does not parse, or has no message, to quarantine/ with its message.
    Loaded load();

private:
    std::filesystem::path messages_;
    std::filesystem::path envelopes_;
    std::filesystem::path tmp_;
    std::filesystem::path quarantine_;
};

}  // namespace relay
