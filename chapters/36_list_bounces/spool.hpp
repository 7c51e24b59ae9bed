#pragma once

#include "shared/file_descriptor.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace mailsteps {

// Text written once, front to back, then read back as often as needed: a message as DATA
// brings it in. A message may be as big as --max-message-size, and every session may be
// receiving one at once, so only the last `memory_limit` octets are kept in memory; the rest
// goes to a file without a name in `directory` (O_TMPFILE; the directory is made if need be),
// which the kernel frees when it is closed, even if the server crashes. Not a durable copy:
// nothing here is ever fsync'd.
class Spool {
public:
    static constexpr std::size_t default_memory_limit = 64 * 1024;

    explicit Spool(std::filesystem::path directory, std::size_t memory_limit = default_memory_limit)
        : directory_(std::move(directory)), memory_limit_(memory_limit) {}

    // After the first error (a full disk, say), every later call returns it again.
    std::error_code append(std::string_view text);

    std::uint64_t size() const { return on_disk_ + memory_.size(); }

    // Forgets the text and frees what held it, memory and file.
    void clear();

    // Hands the text to `piece`, front to back, in pieces of at most 64 KB; stops at the first
    // error `piece` returns, and returns it. Safe from another thread while nothing is appended.
    using Piece = std::function<std::error_code(std::string_view)>;
    std::error_code read(const Piece& piece) const;

private:
    std::error_code write_out();

    std::filesystem::path directory_;
    std::size_t memory_limit_;
    std::string memory_;         // the text after the first on_disk_ octets
    std::optional<FileDescriptor> file_; // opened when the text first outgrows memory_limit_
    std::uint64_t on_disk_ = 0;
    std::error_code error_;
};

} // namespace mailsteps
