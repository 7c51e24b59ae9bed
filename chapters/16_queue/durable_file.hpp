#pragma once

#include "spool.hpp"

#include <filesystem>
#include <span>
#include <string_view>
#include <system_error>

// Files that survive a crash, by the recipe Maildir made famous: write under a temporary name,
// fsync, link to the real name, fsync the directory. For a message the server must not lose
// once it has said "250".
namespace mailsteps {

// write(2) until all of `data` is written: it may write less than asked, or be interrupted.
std::error_code write_all(int fd, std::string_view data);

// mkdir -p with mode 0700, syncing each parent that gains an entry.
std::error_code make_private_directory(const std::filesystem::path& directory);

// A new or renamed directory entry is durable only once its directory is synced.
std::error_code sync_directory(const std::filesystem::path& directory);

// Writes `parts` in order to `temporary` (created with mode 0600; it must not exist), flushes
// it to disk, gives it the name `target` (failing with file_exists if that name is taken) and
// flushes target's directory. On success the file survives a crash. On failure `temporary` is
// gone; `target` is untouched unless only the last step, the directory sync, failed: then the
// new file is visible but may not be durable, and the caller decides whether to take it back.
// A `body`, if given, is written after the parts.
std::error_code write_durably(const std::filesystem::path& temporary, const std::filesystem::path& target,
                              std::span<const std::string_view> parts, const Spool* body = nullptr);

}  // namespace mailsteps
