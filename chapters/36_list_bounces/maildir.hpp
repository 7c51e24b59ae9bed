#pragma once

#include "spool.hpp"

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

namespace mailsteps {

// Where a mailbox lives: <root>/<domain>/<local-part>, both names lowercased. Nothing if
// either name is not a safe single directory name: empty, longer than 64 octets (local
// part) or 255 (domain), starting with '.', or containing '/', "..", NUL or another control
// character. Touches no file.
std::optional<std::filesystem::path> mailbox_path(const std::filesystem::path& root, std::string_view domain,
                                                  std::string_view local_part);

// A Maildir file name no other call, thread or process will produce:
// <seconds>.M<microseconds>P<pid>Q<counter>.<host>. The counter separates calls within one
// process, the pid separates processes, the time separates reuses of a pid.
std::string unique_file_name();

struct Delivered {
    std::string file_name;  // the message's name in new/: unique_file_name() and its sizes
};

// Delivers one message, made of `parts` written in order and then `body` if given, into the Maildir `maildir`
// (http://cr.yp.to/proto/maildir.html), creating its directories with mode 0700 as needed.
// The file (mode 0600) is written in tmp/, flushed to disk, renamed into new/, and new/ is
// flushed too: on success the message survives a crash. On failure nothing is left in new/.
// The name carries the message's sizes, as Courier and Dovecot write them, so that a reader
// need not open the file to learn them: ",S=" the octets stored, ",W=" the octets with every
// line ending in CRLF, as POP3 sends it. A last line without LF gets no ",W=": POP3 would add
// a CRLF and IMAP would not, so there is no one such size.
std::variant<Delivered, std::error_code> deliver_to_maildir(const std::filesystem::path& maildir,
                                                            std::span<const std::string_view> parts,
                                                            const Spool* body = nullptr);

}  // namespace mailsteps
