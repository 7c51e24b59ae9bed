#include "users.hpp"

#include "durable_file.hpp"
#include "maildir.hpp"
#include "password.hpp"

#include "shared/ascii.hpp"
#include "shared/file_descriptor.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace accounts {
namespace {

namespace fs = std::filesystem;

// Generous: room for over a hundred thousand accounts.
constexpr std::size_t max_users_file_size = 16 * 1024 * 1024;

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// No separator, no space or control character: the field stays one token on its line.
bool is_valid_hash(std::string_view hash) {
    return !hash.empty() && std::none_of(hash.begin(), hash.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return c == ':' || byte <= 0x20 || byte == 0x7f;
    });
}

std::string problem_with(const fs::path& path, std::error_code error) {
    // read_regular_file's word for a FIFO or a directory; "Invalid argument" would puzzle.
    auto what = error == std::errc::invalid_argument ? std::string("not a regular file") : error.message();
    return path.string() + ": " + what;
}

std::string not_an_address(std::string_view address) {
    return "'" + std::string(address) + "' is not a valid address: expected " + std::string(address_form);
}

// Read, change, write back, all under an exclusive lock. The lock is on a file of its own:
// the users file is replaced by rename(2), so a lock on it would stay behind on the old inode.
// `change` edits the accounts, or returns why it cannot.
template <class Change>
std::optional<std::string> edit_users(const fs::path& file, Change change) {
    if (auto directory = file.parent_path(); !directory.empty()) {
        if (auto error = mailsteps::make_private_directory(directory)) {
            return problem_with(directory, error);
        }
    }
    fs::path lock_path = file.string() + ".lock";
    mailsteps::FileDescriptor lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
    if (lock.get() < 0) {
        return problem_with(lock_path, {errno, std::system_category()});
    }
    while (::flock(lock.get(), LOCK_EX) != 0) {
        if (errno != EINTR) {
            return problem_with(lock_path, {errno, std::system_category()});
        }
    }

    auto users = read_users(file);
    if (auto* error = std::get_if<std::string>(&users)) {
        return *error;
    }
    auto& accounts = std::get<std::vector<Account>>(users);
    if (auto problem = change(accounts)) {
        return problem;
    }
    auto text = format_users(accounts);
    std::string_view parts[] = {text};
    fs::path temporary = file.string() + ".tmp";
    ::unlink(temporary.c_str());  // left by a run that crashed; the lock keeps live runs out
    if (auto error = mailsteps::write_durably(temporary, file, parts, mailsteps::Existing::replace)) {
        return problem_with(file, error);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> normalize_address(std::string_view address) {
    auto at = address.find('@');
    if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    auto local_part = address.substr(0, at);
    auto domain = address.substr(at + 1);
    // ':' separates the file's fields; a leading '#' would make the line a comment (one rule for
    // both parts keeps it simple to state); no real address has a space. mailbox_path does the rest.
    if (address.find_first_of(": ") != std::string_view::npos || local_part.starts_with('#') ||
        domain.starts_with('#') || !mailsteps::mailbox_path({}, domain, local_part)) {
        return std::nullopt;
    }
    return mailsteps::lowercase(address);
}

std::variant<std::vector<Account>, std::string> parse_users(std::string_view text) {
    std::vector<Account> accounts;
    std::unordered_map<std::string, std::size_t> line_of;  // to name the first of two entries
    for (std::size_t number = 1; !text.empty(); ++number) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (is_blank(line) || line.starts_with('#')) {
            continue;
        }
        auto where = "line " + std::to_string(number) + ": ";
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return where + "expected address:hash";
        }
        auto address = normalize_address(line.substr(0, colon));
        if (!address) {
            return where + "not a valid address: expected " + std::string(address_form);
        }
        auto hash = line.substr(colon + 1);
        if (!is_valid_hash(hash)) {
            return where + "the hash must be one word, without ':'";
        }
        if (auto [first, added] = line_of.emplace(*address, number); !added) {
            return where + *address + " is already on line " + std::to_string(first->second);
        }
        accounts.push_back({std::move(*address), std::string(hash)});
    }
    return accounts;
}

std::string format_users(const std::vector<Account>& accounts) {
    std::string text;
    for (const auto& account : accounts) {
        text += account.address + ":" + account.hash + "\n";
    }
    return text;
}

std::variant<std::vector<Account>, std::string> read_users(const fs::path& file) {
    auto content = mailsteps::read_regular_file(file, max_users_file_size);
    if (auto* error = std::get_if<std::error_code>(&content)) {
        if (*error == std::errc::no_such_file_or_directory) {
            return std::vector<Account>{};
        }
        return problem_with(file, *error);
    }
    auto accounts = parse_users(std::get<std::string>(content));
    if (auto* error = std::get_if<std::string>(&accounts)) {
        return file.string() + ": " + *error;
    }
    return accounts;
}

std::optional<std::string> add_user(const fs::path& file, std::string_view address, std::string_view password) {
    auto normalized = normalize_address(address);
    if (!normalized) {
        return not_an_address(address);
    }
    if (password.empty()) {
        return "the password is empty";
    }
    if (password.size() > max_login_password_size || password.find('\0') != std::string_view::npos) {
        return "the password must be at most " + std::to_string(max_login_password_size) + " octets, without NUL";
    }
    // Hashed before taking the lock: crypt is slow on purpose, and the lock should be brief.
    Account account{*normalized, hash_password(password)};
    return edit_users(file, [&](std::vector<Account>& accounts) -> std::optional<std::string> {
        auto same = [&](const Account& other) { return other.address == account.address; };
        if (std::any_of(accounts.begin(), accounts.end(), same)) {
            return account.address + " already exists in " + file.string();
        }
        accounts.push_back(std::move(account));
        return std::nullopt;
    });
}

std::optional<std::string> remove_user(const fs::path& file, std::string_view address) {
    auto normalized = normalize_address(address);
    if (!normalized) {
        return not_an_address(address);
    }
    return edit_users(file, [&](std::vector<Account>& accounts) -> std::optional<std::string> {
        if (std::erase_if(accounts, [&](const Account& a) { return a.address == *normalized; }) == 0) {
            return *normalized + " is not in " + file.string();
        }
        return std::nullopt;
    });
}

Users::Users(fs::path file, std::function<void(const std::string&)> on_error)
    // The dummy's password does not matter: a match for an unknown account is refused anyway.
    : file_{std::move(file)}, on_error_{std::move(on_error)}, dummy_hash_{hash_password("no such account")},
      version_{mailsteps::FileVersion::of(file_)} {
    auto accounts = read_users(file_);
    if (auto* error = std::get_if<std::string>(&accounts)) {
        throw std::runtime_error(*error);
    }
    table_ = table_of(std::move(std::get<std::vector<Account>>(accounts)));
}

bool Users::accepts_mail_for(std::string_view address) {
    auto found = lookup(address);
    return found.table_empty || found.hash;
}

bool Users::authenticate(std::string_view address, std::string_view password) {
    auto found = lookup(address);
    bool matches = verify_password(password, found.hash ? *found.hash : dummy_hash_);
    return found.hash && matches;
}

bool Users::has_account(std::string_view address) { return lookup(address).hash.has_value(); }

std::unordered_map<std::string, std::string> Users::table_of(std::vector<Account> accounts) {
    std::unordered_map<std::string, std::string> table;
    for (auto& account : accounts) {
        table.emplace(std::move(account.address), std::move(account.hash));
    }
    return table;
}

// Only the lookup holds the mutex; the slow crypt in authenticate runs after it is released.
Users::Lookup Users::lookup(std::string_view address) {
    auto normalized = normalize_address(address);
    // stat before reading: a change in between costs one more read later, never a missed change.
    auto version = mailsteps::FileVersion::of(file_);
    std::optional<std::string> problem;
    Lookup found;
    {
        std::lock_guard lock{mutex_};
        if (version != version_) {
            version_ = version;  // a bad version is reported once, not on every call
            auto accounts = read_users(file_);
            if (auto* error = std::get_if<std::string>(&accounts)) {
                problem = *error;
            } else {
                table_ = table_of(std::move(std::get<std::vector<Account>>(accounts)));
            }
        }
        found.table_empty = table_.empty();
        if (auto entry = normalized ? table_.find(*normalized) : table_.end(); entry != table_.end()) {
            found.hash = entry->second;
        }
    }
    // Outside the lock, so the callback may take its time or even call back in.
    if (problem && on_error_) {
        on_error_(*problem + " (still using the accounts read before)");
    }
    return found;
}

}  // namespace accounts
