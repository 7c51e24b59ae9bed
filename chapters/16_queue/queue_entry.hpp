#pragma once

#include "smtp_address.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay {

// A recipient is pending until a server takes it (delivered) or it fails for good: a 5xx
// reply (RFC 5321 4.2.1), or no answer for --max-queue-lifetime (RFC 5321 4.5.4.1).
enum class RecipientStatus { pending, delivered, failed };

struct QueuedRecipient {
    smtp::Mailbox address;
    RecipientStatus status = RecipientStatus::pending;
    std::string last_reply;   // what the remote server said last, one line; empty before any try

    bool operator==(const QueuedRecipient&) const = default;
};

// One message waiting in the outbound queue: its envelope (RFC 5321 2.3.1) and how delivery went.
struct QueueEntry {
    std::string id;                      // see is_queue_id()
    std::optional<smtp::Mailbox> sender; // nullopt: the null reverse-path <>
    std::vector<QueuedRecipient> recipients;

    bool operator==(const QueueEntry&) const = default;
};

// An id can name files: 1 to 64 characters from A-Z a-z 0-9 '-' '_', so never "..", '/' or '.x'.
bool is_queue_id(std::string_view text);

// The envelope file, a text a student can read with `cat`. One field a line, in this order,
// LF line ends, addresses written as SMTP paths:
//
//   mailsteps-queue-envelope 1
//   id 62A1F3C4B5D6E-4D2-1F
//   sender <alice@example.org>                      (or "sender <>")
//   recipient pending <bob@example.net> 451 4.7.1 Greylisted, try again later
//   recipient delivered <carol@example.com> 250 2.0.0 Ok: queued as 7F3
//   recipient failed <"dan smith"@example.com> 550 5.1.1 No such user
//   end
//
// A recipient line is "recipient STATUS <PATH>", then a space and the last reply if there was
// one. The final "end" shows the file is complete.
inline constexpr std::size_t max_envelope_size = 16 * 1024 * 1024;

// The file's text, or nullopt when the entry could not be read back as it is: an id that is not
// is_queue_id(), no recipients, an address that is not a valid SMTP path (a local part with
// control characters, a mailbox without a domain), or more than max_envelope_size octets. A
// reply's control characters (a CR or LF inside it) become spaces.
std::optional<std::string> format_envelope(const QueueEntry& entry);

}  // namespace relay
