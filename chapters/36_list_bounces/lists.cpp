#include "lists.hpp"

#include "durable_file.hpp"

#include "shared/ascii.hpp"
#include "shared/file_descriptor.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <sstream>
#include <system_error>

namespace lists {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_members_file_size = 64 * 1024 * 1024;
constexpr std::string_view bounces_suffix = "-bounces";

fs::path members_file(const fs::path& dir, const std::string& list) { return dir / list / "members"; }

std::string problem_with(const fs::path& path, std::error_code error) { return path.string() + ": " + error.message(); }

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (!line.empty()) {
            lines.emplace_back(line);
        }
    }
    return lines;
}

std::optional<std::string> write_members(const fs::path& dir, const std::string& list,
                                         const std::vector<std::string>& members) {
    std::string text;
    for (const auto& member : members) {
        text += member + "\n";
    }
    std::string_view parts[] = {text};
    auto file = members_file(dir, list);
    auto temporary = file;
    temporary += ".new";
    ::unlink(temporary.c_str()); // left by an edit that crashed; the lock keeps live ones out
    if (auto error = mailsteps::write_durably(temporary, file, parts, mailsteps::Existing::replace)) {
        return problem_with(file, error);
    }
    return std::nullopt;
}

// Runs `edit` holding the lock on DIR/.lock, so that two edits at once never lose one another's
// change. The lock is a file of its own: the members file is replaced by rename(2).
template <class Edit>
std::optional<std::string> locked(const fs::path& dir, Edit edit) {
    if (auto error = mailsteps::make_private_directory(dir)) {
        return problem_with(dir, error);
    }
    auto lock_path = dir / ".lock";
    mailsteps::FileDescriptor lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
    while (lock.get() >= 0 && ::flock(lock.get(), LOCK_EX) != 0) {
        if (errno != EINTR) {
            return problem_with(lock_path, {errno, std::system_category()});
        }
    }
    if (lock.get() < 0) {
        return problem_with(lock_path, {errno, std::system_category()});
    }
    return edit();
}

// Reads the members, changes them with `change` (which may refuse, with a reason), writes them back.
template <class Change>
std::optional<std::string> edit_members(const fs::path& dir, const std::string& list, Change change) {
    return locked(dir, [&]() -> std::optional<std::string> {
        auto members = read_members(dir, list);
        if (auto* error = std::get_if<std::string>(&members)) {
            return *error;
        }
        auto& addresses = std::get<std::vector<std::string>>(members);
        if (auto problem = change(addresses)) {
            return problem;
        }
        return write_members(dir, list, addresses);
    });
}

constexpr int bounce_days_to_remove = 5;
constexpr long days_a_bounce_is_kept = 7;

struct BounceRecord {
    int days = 0;      // days with a bounce, this run
    long last_day = 0; // the latest of them
};

std::map<std::string, BounceRecord> read_bounces(const fs::path& file) {
    std::map<std::string, BounceRecord> records;
    auto content = mailsteps::read_regular_file(file, max_members_file_size);
    if (auto* text = std::get_if<std::string>(&content)) {
        std::istringstream lines(*text);
        std::string address;
        BounceRecord record;
        while (lines >> address >> record.days >> record.last_day) {
            records[address] = record;
        }
    }
    return records;
}

}  // namespace

std::optional<std::string> normalize_list(std::string_view address) {
    auto at = address.find('@');
    if (at == std::string_view::npos || at == 0 || address.find('@', at + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    auto name = mailsteps::lowercase(address.substr(0, at));
    auto domain = mailsteps::lowercase(address.substr(at + 1));
    auto allowed = [](char c) { return mailsteps::is_alpha(c) || mailsteps::is_digit(c) || c == '.' || c == '_' || c == '-'; };
    auto domain_allowed = [](char c) { return mailsteps::is_alpha(c) || mailsteps::is_digit(c) || c == '.' || c == '-'; };
    if (!std::all_of(name.begin(), name.end(), allowed) || name.starts_with('.') || name.ends_with(bounces_suffix) ||
        name.ends_with("-request") ||
        domain.empty() || domain.starts_with('.') || !std::all_of(domain.begin(), domain.end(), domain_allowed) ||
        name.find("..") != std::string::npos || domain.find("..") != std::string::npos) {
        return std::nullopt;
    }
    return name + "@" + domain;
}

std::string bounces_address(const std::string& list) {
    auto at = list.find('@');
    return list.substr(0, at) + std::string(bounces_suffix) + list.substr(at);
}

std::optional<std::string> list_of_bounces(const std::string& address) {
    auto at = address.rfind('@');
    if (at == std::string::npos || !address.substr(0, at).ends_with(bounces_suffix)) {
        return std::nullopt;
    }
    return normalize_list(address.substr(0, at - bounces_suffix.size()) + address.substr(at));
}

bool list_exists(const fs::path& dir, const std::string& list) {
    std::error_code error;
    return fs::is_regular_file(members_file(dir, list), error);
}

bool is_members_only(const fs::path& dir, const std::string& list) {
    std::error_code error;
    return fs::exists(dir / list / "members-only", error);
}

std::variant<std::vector<std::string>, std::string> read_members(const fs::path& dir, const std::string& list) {
    auto file = members_file(dir, list);
    auto content = mailsteps::read_regular_file(file, max_members_file_size);
    if (auto* error = std::get_if<std::error_code>(&content)) {
        if (*error == std::errc::no_such_file_or_directory) {
            return "there is no list " + list + " in " + dir.string();
        }
        return problem_with(file, *error);
    }
    return lines_of(std::get<std::string>(content));
}

std::optional<std::string> create_list(const fs::path& dir, const std::string& list, bool members_only) {
    return locked(dir, [&]() -> std::optional<std::string> {
        if (list_exists(dir, list)) {
            return list + " already exists in " + dir.string();
        }
        if (auto error = mailsteps::make_private_directory(dir / list)) {
            return problem_with(dir / list, error);
        }
        if (members_only) {
            std::string_view nothing[] = {""};
            auto marker = dir / list / "members-only";
            auto temporary = marker.string() + ".new";
            if (auto error = mailsteps::write_durably(temporary, marker, nothing, mailsteps::Existing::replace)) {
                return problem_with(marker, error);
            }
        }
        return write_members(dir, list, {});
    });
}

std::optional<std::string> delete_list(const fs::path& dir, const std::string& list) {
    return locked(dir, [&]() -> std::optional<std::string> {
        if (!list_exists(dir, list)) {
            return "there is no list " + list + " in " + dir.string();
        }
        std::error_code error;
        fs::remove_all(dir / list, error);
        if (!error) {
            error = mailsteps::sync_directory(dir);
        }
        return error ? std::optional(problem_with(dir / list, error)) : std::nullopt;
    });
}

std::optional<std::string> add_member(const fs::path& dir, const std::string& list, const std::string& member) {
    return edit_members(dir, list, [&](std::vector<std::string>& members) -> std::optional<std::string> {
        if (std::find(members.begin(), members.end(), member) != members.end()) {
            return member + " is already a member of " + list;
        }
        members.push_back(member);
        return std::nullopt;
    });
}

std::optional<std::string> remove_member(const fs::path& dir, const std::string& list, const std::string& member) {
    return edit_members(dir, list, [&](std::vector<std::string>& members) -> std::optional<std::string> {
        if (std::erase(members, member) == 0) {
            return member + " is not a member of " + list;
        }
        return std::nullopt;
    });
}

std::variant<bool, std::string> record_bounce(const fs::path& dir, const std::string& list, const std::string& member,
                                              long day) {
    bool removed = false;
    auto problem = locked(dir, [&]() -> std::optional<std::string> {
        auto file = dir / list / "bounces";
        auto records = read_bounces(file);
        auto& record = records[member];
        if (day - record.last_day > days_a_bounce_is_kept) {
            record.days = 0; // an old run of bounces: the address has worked since
        }
        if (record.days == 0 || day > record.last_day) {
            ++record.days;
            record.last_day = day;
        }
        if (record.days >= bounce_days_to_remove) {
            auto members = read_members(dir, list);
            if (auto* error = std::get_if<std::string>(&members)) {
                return *error;
            }
            auto& addresses = std::get<std::vector<std::string>>(members);
            removed = std::erase(addresses, member) > 0;
            records.erase(member);
            if (auto error = write_members(dir, list, addresses)) {
                return error;
            }
        }
        std::string text;
        for (const auto& [address, kept] : records) {
            text += address + " " + std::to_string(kept.days) + " " + std::to_string(kept.last_day) + "\n";
        }
        std::string_view parts[] = {text};
        auto temporary = file.string() + ".new";
        ::unlink(temporary.c_str());
        if (auto error = mailsteps::write_durably(temporary, file, parts, mailsteps::Existing::replace)) {
            return problem_with(file, error);
        }
        return std::nullopt;
    });
    if (problem) {
        return *problem;
    }
    return removed;
}

}  // namespace lists
