#pragma once

#include "shared/file_descriptor.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace pop3 {

// RFC 1939 7 (UIDL): a "unique-id" of 1 to 70 characters 0x21..0x7E, the same across sessions.
// Maildir file names are unique and never change except for the ":2,FLAGS" info suffix a reader like mutt
// adds in cur/, so the id is the name before ':' when that qualifies; otherwise (too long: a long host name,
// or a character outside the range) the FNV-1a 64-bit hash of that base name in 16 lowercase hex digits.
std::string unique_id(std::string_view file_name);

struct Message {
    std::string file;   // where it is in the Maildir: "new/<name>" or "cur/<name>"
    std::string uid;
    std::uint64_t size; // wire_size of the file's content, as its name says or as read
};

// One user's Maildir as a POP3 maildrop, locked for the length of one session.
class Maildrop {
public:
    enum class OpenError { in_use, failed };

    // Opens `maildir` (creating tmp/, new/ and cur/ with mode 0700 if missing: a user with an account but
    // no mail yet has an empty maildrop) and takes the RFC 1939 4 exclusive-access lock: flock(LOCK_EX|LOCK_NB)
    // on <maildir>/pop3.lock. The lock belongs to the open file, so the kernel drops it when the session
    // ends or the process dies, never leaving it stale; and unlike fcntl locks it also keeps out a second
    // open in the same process, as a second session in this server would be. A second opener gets in_use.
    // Then lists the messages of new/ and cur/ (regular files whose names do not start with '.'), oldest
    // first by the delivery time their Maildir names start with, then by name, and sizes them (RFC 1939 4,
    // 11: as sent, with CRLF) from the ",W=" in their names, reading only files whose names do not say.
    // The list is fixed from here on: mail arriving later waits for the next session.
    static std::variant<Maildrop, OpenError> open(const std::filesystem::path& maildir);

    Maildrop(Maildrop&& other) noexcept;
    ~Maildrop(); // releases the lock

    // Messages are numbered from 1 as in RFC 1939. A number out of range or already deleted: nullptr.
    const Message* find(std::size_t number) const;
    std::size_t size() const;         // all messages, deleted or not: numbers run 1..size()
    std::size_t count() const;        // not marked deleted (STAT)
    std::uint64_t total_size() const; // of those (STAT)
    bool is_deleted(std::size_t number) const;
    bool mark_deleted(std::size_t number); // false if out of range or already marked (RFC 1939 5, DELE)
    void unmark_all();                     // RFC 1939 5, RSET

    // The file's content, for RETR and TOP. A message deleted in this session, or a file that vanished
    // (another client removed it), or grew since the listing or beyond the size in its name, gives an error code.
    std::variant<std::string, std::error_code> read(std::size_t number) const;

    // RFC 1939 6, the UPDATE state: removes every marked file, then syncs new/ and cur/. Returns the first
    // error; a file already gone counts as removed. Only here are files removed, so a dropped connection
    // deletes nothing.
    std::error_code commit();

private:
    Maildrop(std::filesystem::path maildir, int lock_fd, mailsteps::FileDescriptor directory,
             std::vector<Message> messages);

    std::filesystem::path maildir_;
    int lock_fd_;
    mailsteps::FileDescriptor directory_; // the Maildir, open: RETR opens files relative to it
    std::vector<Message> messages_;
    std::vector<bool> deleted_;
};

} // namespace pop3
