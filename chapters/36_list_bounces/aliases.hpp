#pragma once

#include "file_version.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

// The aliases file: more addresses than mailboxes. One alias a line, its targets after a ':',
//
//     info@example.test: alice@example.test, bob@elsewhere.test
//     @example.test: alice@example.test
//
// as in /etc/aliases and Postfix's virtual(5). The second line is the domain's catch-all: it
// takes mail for any address of example.test that reaches nobody otherwise. A target may be a
// mailbox here, another alias, or an address elsewhere. Lines starting with '#' and blank lines
// are ignored. Addresses are lowercased, as the users file's are.
namespace aliases {

struct Alias {
    std::string address;               // "info@example.test", or "@example.test" for a catch-all
    std::vector<std::string> targets;  // in the file's order
    std::size_t line = 0;
};

// The aliases in the file's text, or what is wrong, naming the line: "line 3: ...". An alias
// that reaches itself again through other aliases is a loop, refused here so it never meets a
// message. One that names itself among its targets is not: that target is its own mailbox (the
// way to keep a copy of what is forwarded, as in Postfix).
std::variant<std::vector<Alias>, std::string> parse_aliases(std::string_view text);

// Each alias's targets, by its address.
using Table = std::unordered_map<std::string, std::vector<std::string>>;

// What the server knows besides the aliases: which addresses are its accounts, and which of its
// addresses get mail (every local address while the users file is empty, and postmaster).
struct Mailboxes {
    std::function<bool(const std::string& domain)> is_local;
    std::function<bool(const std::string& address)> is_account;
    std::function<bool(const std::string& address)> gets_mail;
};

// The aliases a running server uses. Like the users file, the file is stat()ed on each lookup
// and re-read when it has changed; a re-read that fails keeps the last good aliases and tells
// `on_error`. Thread-safe.
class Aliases {
public:
    // Throws std::runtime_error if the file exists but cannot be read or parsed.
    explicit Aliases(std::filesystem::path file, std::function<void(const std::string&)> on_error = {});

    // Where mail for `address` (lowercased) goes: local mailboxes and addresses elsewhere, each
    // once. Empty when it reaches nobody.
    std::vector<std::string> expand(const std::string& address, const Mailboxes& mailboxes);

private:
    std::shared_ptr<const Table> current();

    const std::filesystem::path file_;
    const std::function<void(const std::string&)> on_error_;
    std::mutex mutex_;
    mailsteps::FileVersion version_;     // guarded by mutex_
    std::shared_ptr<const Table> table_;  // guarded by mutex_; a reader keeps the one it took
};

}  // namespace aliases
