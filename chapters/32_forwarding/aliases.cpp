#include "aliases.hpp"

#include "durable_file.hpp"
#include "users.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <unordered_set>

namespace aliases {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_aliases_file_size = 16 * 1024 * 1024;
constexpr std::size_t max_depth = 100;  // aliases of aliases, as Postfix's virtual_alias_recursion_limit

std::string_view trimmed(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::string domain_of(const std::string& address) { return address.substr(address.rfind('@') + 1); }

// RFC 5233: "alice+news@example.test" is alice's, with the detail "news". The address without
// its detail: "alice@example.test" (the address itself when it has none).
std::string without_detail(const std::string& address) {
    auto plus = address.find('+');
    auto at = address.rfind('@');
    if (plus == std::string::npos || plus == 0 || plus > at) { // "+tag@" has no local part to keep
        return address;
    }
    return address.substr(0, plus) + address.substr(at);
}

// "@example.test" is the catch-all of example.test; anything else must be an address.
std::optional<std::string> normalize_name(std::string_view name) {
    if (name.starts_with('@')) {
        auto address = accounts::normalize_address("catch-all" + std::string(name));
        return address ? std::optional(address->substr(address->find('@'))) : std::nullopt;
    }
    return accounts::normalize_address(name);
}

using Index = std::unordered_map<std::string, std::size_t>;  // address -> its alias

Table table_of(std::vector<Alias> aliases) {
    Table table;
    for (auto& alias : aliases) {
        table.emplace(std::move(alias.address), std::move(alias.targets));
    }
    return table;
}

// The alias a target leads to, by its name or its name without the detail. Never a catch-all:
// a catch-all takes only addresses a client sends to (see Expansion), so no loop runs through one.
const std::size_t* alias_reached(const Index& index, const std::string& target) {
    auto found = index.find(target);
    if (found == index.end()) {
        found = index.find(without_detail(target));
    }
    return found == index.end() ? nullptr : &found->second;
}

// Depth first from each alias: meeting an alias that is still on the path is a loop.
class LoopFinder {
public:
    LoopFinder(const std::vector<Alias>& aliases, const Index& index)
        : aliases_(aliases), index_(index), marks_(aliases.size(), Mark::unvisited), depths_(aliases.size()) {}

    std::optional<std::string> find() {
        for (std::size_t i = 0; i < aliases_.size(); ++i) {
            if (marks_[i] == Mark::unvisited) {
                if (auto loop = visit(i)) {
                    return loop;
                }
            }
        }
        return std::nullopt;
    }

private:
    enum class Mark { unvisited, on_path, done };

    // Also measures each alias's depth: 1 + the deepest alias it leads to. The path is never
    // longer than that, so a search that goes deeper than allowed stops on either count.
    std::optional<std::string> visit(std::size_t i) {
        const Alias& alias = aliases_[i];
        auto too_deep = "line " + std::to_string(alias.line) + ": aliases nested more than " +
                        std::to_string(max_depth) + " deep";
        if (path_.size() == max_depth) {
            return too_deep;
        }
        marks_[i] = Mark::on_path;
        path_.push_back(i);
        std::size_t deepest = 0;
        for (const auto& target : alias.targets) {
            const std::size_t* next = target == alias.address ? nullptr : alias_reached(index_, target);
            if (next && marks_[*next] == Mark::on_path) {
                return "line " + std::to_string(alias.line) + ": alias loop: " + describe_loop(*next);
            }
            if (next && marks_[*next] == Mark::unvisited) {
                if (auto loop = visit(*next)) {
                    return loop;
                }
            }
            deepest = next ? std::max(deepest, depths_[*next]) : deepest;
        }
        depths_[i] = deepest + 1;
        if (depths_[i] > max_depth) {
            return too_deep;
        }
        path_.pop_back();
        marks_[i] = Mark::done;
        return std::nullopt;
    }

    // "a@x -> b@x -> a@x": the path from `start`, back to it.
    std::string describe_loop(std::size_t start) const {
        std::string text;
        for (auto i = std::find(path_.begin(), path_.end(), start); i != path_.end(); ++i) {
            text += aliases_[*i].address + " -> ";
        }
        return text + aliases_[start].address;
    }

    const std::vector<Alias>& aliases_;
    const Index& index_;
    std::vector<Mark> marks_;
    std::vector<std::size_t> depths_; // of the aliases done
    std::vector<std::size_t> path_;
};

std::variant<std::vector<Alias>, std::string> read_aliases(const fs::path& file) {
    auto content = mailsteps::read_regular_file(file, max_aliases_file_size);
    if (auto* error = std::get_if<std::error_code>(&content)) {
        if (*error == std::errc::no_such_file_or_directory) {
            return std::vector<Alias>{};
        }
        return file.string() + ": " + error->message();
    }
    auto aliases = parse_aliases(std::get<std::string>(content));
    if (auto* error = std::get_if<std::string>(&aliases)) {
        return file.string() + ": " + *error;
    }
    return aliases;
}

// One expansion: the addresses reached so far, in order, and the aliases already followed (two
// aliases may share a target; each is followed once).
struct Expansion {
    const Table& table;
    const Mailboxes& mailboxes;
    std::vector<std::string> reached;
    std::unordered_set<std::string> seen;  // what is in `reached`
    std::unordered_set<std::string> followed;

    // The first rule that applies decides.
    void add(const std::string& address, bool from_client) {
        if (!mailboxes.is_local(domain_of(address))) {
            reach(address);
            return;
        }
        if (follow(address)) {
            return;
        }
        if (mailboxes.is_account(address)) { // alice+tag's own account wins over alice's
            reach(address);
            return;
        }
        auto base = without_detail(address);
        if (follow(base)) {
            return;
        }
        if (mailboxes.is_account(base)) {
            reach(base);
            return;
        }
        if (from_client && follow("@" + domain_of(address))) {
            return;
        }
        if (mailboxes.gets_mail(base)) {
            reach(base);
        }
    }

    // False if `name` is no alias.
    bool follow(const std::string& name) {
        auto alias = table.find(name);
        if (alias == table.end()) {
            return false;
        }
        if (followed.insert(name).second) {
            for (const auto& target : alias->second) {
                if (target != name) {
                    add(target, false);
                } else {
                    reach_own_mailbox(name);
                }
            }
        }
        return true;
    }

    // An alias that names itself: its account, or else its address without the detail.
    void reach_own_mailbox(const std::string& name) {
        if (mailboxes.is_account(name)) {
            reach(name);
        } else if (mailboxes.gets_mail(without_detail(name))) {
            reach(without_detail(name));
        }
    }

    void reach(const std::string& address) {
        if (seen.insert(address).second) {
            reached.push_back(address);
        }
    }
};

}  // namespace

std::variant<std::vector<Alias>, std::string> parse_aliases(std::string_view text) {
    std::vector<Alias> aliases;
    Index index;
    for (std::size_t number = 1; !text.empty(); ++number) {
        auto end = text.find('\n');
        auto line = trimmed(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.empty() || line.starts_with('#')) {
            continue;
        }
        auto where = "line " + std::to_string(number) + ": ";
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            return where + "expected 'address: target, target, ...'";
        }
        Alias alias;
        alias.line = number;
        auto name = normalize_name(trimmed(line.substr(0, colon)));
        if (!name) {
            return where + "'" + std::string(trimmed(line.substr(0, colon))) +
                   "' is not an address or @domain: expected " + std::string(accounts::address_form);
        }
        alias.address = *name;
        for (auto targets = line.substr(colon + 1); !targets.empty();) {
            auto comma = targets.find(',');
            auto target = trimmed(targets.substr(0, comma));
            targets.remove_prefix(comma == std::string_view::npos ? targets.size() : comma + 1);
            auto address = accounts::normalize_address(target);
            if (!address) {
                return where + "the target '" + std::string(target) + "' is not an address";
            }
            alias.targets.push_back(*address);
        }
        if (alias.targets.empty()) {
            return where + alias.address + " has no targets";
        }
        if (auto [first, added] = index.emplace(alias.address, aliases.size()); !added) {
            return where + alias.address + " is already on line " + std::to_string(aliases[first->second].line);
        }
        aliases.push_back(std::move(alias));
    }
    if (auto loop = LoopFinder(aliases, index).find()) {
        return *loop;
    }
    return aliases;
}

Aliases::Aliases(fs::path file, std::function<void(const std::string&)> on_error)
    : file_(std::move(file)), on_error_(std::move(on_error)), version_(mailsteps::FileVersion::of(file_)) {
    auto aliases = read_aliases(file_);
    if (auto* error = std::get_if<std::string>(&aliases)) {
        throw std::runtime_error(*error);
    }
    table_ = std::make_shared<const Table>(table_of(std::move(std::get<std::vector<Alias>>(aliases))));
}

std::vector<std::string> Aliases::expand(const std::string& address, const Mailboxes& mailboxes) {
    auto table = current();
    Expansion expansion{*table, mailboxes, {}, {}, {}};
    expansion.add(address, true);
    return std::move(expansion.reached);
}

// The table to use now: re-read first if the file has changed since the last look.
std::shared_ptr<const Table> Aliases::current() {
    auto version = mailsteps::FileVersion::of(file_);
    std::optional<std::string> problem;
    std::shared_ptr<const Table> table;
    {
        std::lock_guard lock{mutex_};
        if (version != version_) {
            version_ = version;  // a bad version is reported once, not on every lookup
            auto aliases = read_aliases(file_);
            if (auto* error = std::get_if<std::string>(&aliases)) {
                problem = *error;
            } else {
                table_ = std::make_shared<const Table>(table_of(std::move(std::get<std::vector<Alias>>(aliases))));
            }
        }
        table = table_;
    }
    if (problem && on_error_) {
        on_error_(*problem + " (still using the aliases read before)");
    }
    return table;
}

}  // namespace aliases
