#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace demo {

// --demo: so POP3 can be tried on one computer, the account demo@<domain> with the password
// "demo", its mailbox holding a few sample messages. Done once: when the account exists
// already, nothing changes. Returns an error message, or nothing on success.
std::optional<std::string> add_demo_account(const std::filesystem::path& users_file,
                                            const std::filesystem::path& maildir_root, std::string_view domain,
                                            std::string_view hostname);

} // namespace demo
