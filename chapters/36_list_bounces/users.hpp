#pragma once

#include "file_version.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

// The users file: who may fetch mail over POP3, and with which password. One account a line,
//
//     address:hash
//
// like /etc/shadow and Dovecot's passwd-file. The address is a lowercased local-part@domain
// whose mail lands in <maildir-root>/<domain>/<local-part>/; the hash is a crypt(3) hash
// (password.hpp). Lines starting with '#' and blank lines are ignored; `mailserver user add` and
// `remove` rewrite the file from its accounts, so they do not keep such comments.
namespace accounts {

// What normalize_address accepts, for error and help messages.
inline constexpr std::string_view address_form =
    "local-part@domain, like alice@example.test: no spaces, ':', '/', \"..\" or control characters, "
    "and neither part starting with '.' or '#'";

struct Account {
    std::string address;  // normalized
    std::string hash;

    bool operator==(const Account&) const = default;
};

// "alice@Example.Test" -> "alice@example.test"; nullopt if not a valid account address.
std::optional<std::string> normalize_address(std::string_view address);

// The accounts in the file's text, in order. Errors name the line: "line 3: ...".
std::variant<std::vector<Account>, std::string> parse_users(std::string_view text);

// One "address:hash\n" for each account.
std::string format_users(const std::vector<Account>& accounts);

// A missing file is an empty list. Other problems: an error message naming the file.
std::variant<std::vector<Account>, std::string> read_users(const std::filesystem::path& file);

// The longest password a POP3 client can send: "PASS " and the password in a command line of
// at most 255 octets with its CRLF (RFC 2449 4).
constexpr std::size_t max_login_password_size = 255 - 7;

// Edits for `mailserver user`: under an flock(2) on "<file>.lock", so two concurrent runs never
// lose each other's change, read the file, change it and write it back durably (mode 0600, in a
// directory made with mode 0700 if needed). An error message, or nullopt on success. add_user
// throws std::runtime_error if the system cannot hash passwords.
std::optional<std::string> add_user(const std::filesystem::path& file, std::string_view address,
                                    std::string_view password);
std::optional<std::string> remove_user(const std::filesystem::path& file, std::string_view address);

// The accounts a running server knows. Each call stat()s the file and re-reads it when it has
// changed, so `mailserver user add` takes effect without a restart, as with Dovecot's passwd-file.
// Thread-safe. If a re-read fails (say, a hand edit left a malformed line), the last good table
// stays and `on_error` hears about the problem once.
class Users {
public:
    // Throws std::runtime_error if the file exists but cannot be read or parsed (a start-up failure).
    explicit Users(std::filesystem::path file, std::function<void(const std::string&)> on_error = {});

    const std::filesystem::path& file() const { return file_; }

    // An empty or missing file means "no account list": every local address gets mail. Once the
    // file lists accounts, only they do. (RFC 5321 4.5.1's postmaster is the SMTP side's business.)
    bool accepts_mail_for(std::string_view address);

    // True when the account exists and the password matches. An unknown account still costs one
    // crypt, against a dummy hash made the default way, so POP3 logins take about as long for
    // anyone. (SMTP's 550 for unknown recipients tells who exists anyway, as most servers do.)
    bool authenticate(std::string_view address, std::string_view password);

    bool has_account(std::string_view address);

private:
    struct Lookup {
        bool table_empty = true;
        std::optional<std::string> hash;  // nullopt: no such account
    };

    static std::unordered_map<std::string, std::string> table_of(std::vector<Account> accounts);
    Lookup lookup(std::string_view address);

    const std::filesystem::path file_;
    const std::function<void(const std::string&)> on_error_;
    const std::string dummy_hash_;
    std::mutex mutex_;
    mailsteps::FileVersion version_;                      // guarded by mutex_
    std::unordered_map<std::string, std::string> table_;  // address -> hash, guarded by mutex_
};

}  // namespace accounts
