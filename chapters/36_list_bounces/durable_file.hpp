#pragma once

#include "spool.hpp"

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

// Files that survive a crash: the write-to-tmp, fsync, rename, fsync-the-directory recipe that
// Maildir made famous, for anything the server must not lose once it has said "250".
namespace mailsteps {

// write(2) until all of `data` is written: it may write less than asked, or be interrupted.
std::error_code write_all(int fd, std::string_view data);

// mkdir -p with mode 0700, syncing each parent that gains an entry.
std::error_code make_private_directory(const std::filesystem::path& directory);

// A new or renamed directory entry is durable only once its directory is synced.
std::error_code sync_directory(const std::filesystem::path& directory);

enum class Existing {
    refuse,   // fail with file_exists if `target` exists (link(2), which never replaces)
    replace,  // replace `target` in one step (rename(2)): readers see the old file or the new one
};

// Writes `parts` in order, then `body` if there is one, to `temporary` (created with mode 0600;
// it must not exist), flushes it to disk, gives it the name `target` and flushes target's
// directory. On success the file
// survives a crash. On failure `temporary` is gone; `target` is untouched unless only the last
// step, the directory sync, failed: then the new file is visible but may not be durable, and
// the caller decides whether to take it back.
std::error_code write_durably(const std::filesystem::path& temporary, const std::filesystem::path& target,
                              std::span<const std::string_view> parts, Existing existing,
                              const Spool* body = nullptr);

// The whole of a regular file, refusing anything bigger than `max_size` (file_too_large) and
// anything that is not a regular file (invalid_argument): a FIFO must not hang us, a symbolic
// link must not lead us elsewhere.
std::variant<std::string, std::error_code> read_regular_file(const std::filesystem::path& path,
                                                             std::size_t max_size);

}  // namespace mailsteps
