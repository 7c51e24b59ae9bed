#pragma once

#include "smtp_address.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay {

// RFC 5321 6.1: a recipient that failed for good is "failed" until the DSN telling the sender
// is stored, then "bounced". So a stop or crash in between cannot lose the DSN.
enum class RecipientStatus { pending, delivered, failed, bounced };

struct QueuedRecipient {
    smtp::Mailbox address;
    RecipientStatus status = RecipientStatus::pending;
    std::string last_reply;   // what the remote server said last, one line; empty before any try.
                              // When failed: the reason the DSN gives, "550 5.1.1 No such user"
    std::string remote_host;  // when failed: the server that refused, for the DSN; empty if none did

    bool operator==(const QueuedRecipient&) const = default;
};

// One message waiting in the outbound queue: its envelope (RFC 5321 2.3.1) and how delivery went.
struct QueueEntry {
    std::string id;                      // see is_queue_id()
    std::optional<smtp::Mailbox> sender; // nullopt: the null reverse-path <>
    std::vector<QueuedRecipient> recipients;
    std::chrono::system_clock::time_point arrival;
    std::chrono::system_clock::time_point next_attempt;
    int attempts = 0;

    bool operator==(const QueueEntry&) const = default;
};

// A fresh id no other call, thread or process makes: <microseconds>-<pid>-<counter> in hex,
// like "62A1F3C4B5D6E-4D2-1F". The time separates reuses of a pid.
std::string new_queue_id();

// An id can name files: 1 to 64 characters from A-Z a-z 0-9 '-' '_', so never "..", '/' or '.x'.
bool is_queue_id(std::string_view text);

// The envelope file, a text a student can read with `cat`. One field a line, in this order,
// LF line ends, times in UTC to the second, addresses written as SMTP paths:
//
//   mailsteps-queue-envelope 1
//   id 62A1F3C4B5D6E-4D2-1F
//   sender <alice@example.org>                      (or "sender <>")
//   arrival 2026-11-25T19:40:00Z
//   next-attempt 2026-11-25T19:45:00Z
//   attempts 1
//   recipient pending <bob@example.net> 451 4.7.1 Greylisted, try again later
//   recipient delivered <carol@example.com> 250 2.0.0 Ok: queued as 7F3
//   recipient bounced <"dan smith"@example.com> 550 5.1.1 No such user
//   recipient failed <erin@example.com> 550 5.1.1 No such user
//   remote-host mx1.example.com
//   end
//
// A recipient line is "recipient STATUS <PATH>", then a space and the last reply if there was
// one; a "remote-host NAME" line may follow it. The final "end" shows the file is complete.
// Files written before the "failed" status and "remote-host" existed read the same way.
inline constexpr std::size_t max_envelope_size = 16 * 1024 * 1024;

// The file's text, or nullopt when the entry could not be read back as it is: an id that is not
// is_queue_id(), no recipients, a negative attempt count, an address that is not a valid SMTP
// path (a local part with control characters, a mailbox without a domain), or more than
// max_envelope_size octets. Times lose their fraction of a second; a reply's or a host's
// control characters (a CR or LF inside it) become spaces.
std::optional<std::string> format_envelope(const QueueEntry& entry);

struct EnvelopeError {
    std::string what;  // for the log: "line 4: expected a time like 2026-11-25T19:40:00Z"
};

// Reads an envelope file strictly: anything that differs from the format above is an error.
std::variant<QueueEntry, EnvelopeError> parse_envelope(std::string_view text);

}  // namespace relay
