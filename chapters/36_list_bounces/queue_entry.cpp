#include "queue_entry.hpp"

#include "shared/ascii.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace relay {
namespace {

using namespace std::chrono;

constexpr std::string_view magic = "mailsteps-queue-envelope 1";

constexpr std::array<std::pair<RecipientStatus, std::string_view>, 4> status_names{{
    {RecipientStatus::pending, "pending"},
    {RecipientStatus::delivered, "delivered"},
    {RecipientStatus::failed, "failed"},
    {RecipientStatus::bounced, "bounced"},
}};

std::string_view name_of(RecipientStatus status) {
    for (auto [value, name] : status_names) {
        if (value == status) {
            return name;
        }
    }
    return "?";
}

std::optional<RecipientStatus> status_named(std::string_view text) {
    for (auto [value, name] : status_names) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// "2026-11-25T19:40:00Z"
std::string format_time(system_clock::time_point time) {
    auto second = floor<seconds>(time);
    auto day = floor<days>(second);
    year_month_day date{day};
    hh_mm_ss clock{second - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return text;
}

// A run of decimal digits and nothing else, at most `width` of them, no larger than an int.
std::optional<int> parse_digits(std::string_view text, std::size_t width) {
    if (text.empty() || text.size() > width) {
        return std::nullopt;
    }
    long long value = 0;
    for (char c : text) {
        if (!mailsteps::is_digit(c)) {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    if (value > std::numeric_limits<int>::max()) {
        return std::nullopt;
    }
    return static_cast<int>(value);
}

// A count as format_envelope writes it: no sign, no leading zeros.
std::optional<int> parse_count(std::string_view text) {
    if (text.size() > 1 && text.front() == '0') {
        return std::nullopt;
    }
    return parse_digits(text, 10);
}

std::optional<system_clock::time_point> parse_time(std::string_view text) {
    constexpr std::string_view shape = "dddd-dd-ddTdd:dd:ddZ";
    if (text.size() != shape.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == 'd' ? !mailsteps::is_digit(text[i]) : text[i] != shape[i]) {
            return std::nullopt;
        }
    }
    auto number = [&](std::size_t at, std::size_t width) { return *parse_digits(text.substr(at, width), width); };
    year_month_day date{year{number(0, 4)}, month{static_cast<unsigned>(number(5, 2))},
                        day{static_cast<unsigned>(number(8, 2))}};
    int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }
    // The clock counts in nanoseconds, which covers only the years 1677 to 2262.
    sys_seconds time = sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
    using limits = system_clock::time_point;
    if (time < ceil<seconds>(limits::min()) || time > floor<seconds>(limits::max())) {
        return std::nullopt;
    }
    return time;
}

// "<local@domain>", only if reading it back gives the same mailbox.
std::optional<std::string> path_text(const smtp::Mailbox& mailbox) {
    std::string text = "<" + smtp::to_string(mailbox) + ">";
    auto path = smtp::read_path(text);
    auto* parsed = std::get_if<smtp::Path>(&path);
    if (!parsed || parsed->mailbox != mailbox || !parsed->rest.empty()) {
        return std::nullopt;
    }
    return text;
}

// The remote server's words, and its name, go on one line of the file.
std::string one_line(std::string_view reply) {
    std::string line{reply};
    for (char& c : line) {
        if (is_control(c)) {
            c = ' ';
        }
    }
    return line;
}

// Walks the file line by line; each step names the field it expects.
class EnvelopeReader {
public:
    explicit EnvelopeReader(std::string_view text) : rest_{text} {}

    std::variant<QueueEntry, EnvelopeError> read() {
        if (rest_.empty() || !rest_.ends_with('\n')) {
            return EnvelopeError{"the file is empty or its last line is incomplete"};
        }
        for (char c : rest_) {
            if (c != '\n' && is_control(c)) {
                return EnvelopeError{"the file holds control characters"};
            }
        }
        if (next_line() != magic) {
            return fail("expected \"" + std::string{magic} + "\"");
        }
        QueueEntry entry;
        auto id = field("id");
        if (!id || !is_queue_id(*id)) {
            return fail("expected \"id\" and a queue id");
        }
        entry.id = *id;
        auto sender = field("sender");
        auto sender_path = sender ? smtp::read_path(*sender) : smtp::PathError{};
        auto* parsed_sender = std::get_if<smtp::Path>(&sender_path);
        if (!parsed_sender || !parsed_sender->rest.empty()) {
            return fail("expected \"sender\" and a path");
        }
        entry.sender = parsed_sender->mailbox;
        for (auto [name, time] : {std::pair{"arrival", &entry.arrival}, {"next-attempt", &entry.next_attempt}}) {
            auto value = field(name);
            auto parsed = value ? parse_time(*value) : std::nullopt;
            if (!parsed) {
                return fail("expected \"" + std::string{name} + "\" and a time like 2026-11-25T19:40:00Z");
            }
            *time = *parsed;
        }
        auto attempts = field("attempts");
        auto count = attempts ? parse_count(*attempts) : std::nullopt;
        if (!count) {
            return fail("expected \"attempts\" and a number");
        }
        entry.attempts = *count;
        for (auto line = next_line(); line != "end"; line = next_line()) {
            auto host = value_of(line, "remote-host");
            if (host && !host->empty() && !entry.recipients.empty() && entry.recipients.back().remote_host.empty()) {
                entry.recipients.back().remote_host = *host; // of the recipient just read
                continue;
            }
            auto recipient = parse_recipient(line);
            if (!recipient) {
                return fail("expected \"recipient STATUS <PATH>\", \"remote-host NAME\" or \"end\"");
            }
            entry.recipients.push_back(std::move(*recipient));
        }
        if (entry.recipients.empty()) {
            return fail("no recipients");
        }
        if (!rest_.empty()) {
            return fail("text after \"end\"");
        }
        return entry;
    }

private:
    std::string_view next_line() {
        ++line_number_;
        auto end = rest_.find('\n');
        if (end == std::string_view::npos) {
            return {};  // past the last line
        }
        auto line = rest_.substr(0, end);
        rest_.remove_prefix(end + 1);
        return line;
    }

    // The next line, "NAME VALUE", gives VALUE.
    std::optional<std::string_view> field(std::string_view name) { return value_of(next_line(), name); }

    static std::optional<std::string_view> value_of(std::string_view line, std::string_view name) {
        if (!line.starts_with(name) || line.substr(name.size()).substr(0, 1) != " ") {
            return std::nullopt;
        }
        return line.substr(name.size() + 1);
    }

    static std::optional<QueuedRecipient> parse_recipient(std::string_view line) {
        constexpr std::string_view key = "recipient ";
        if (!line.starts_with(key)) {
            return std::nullopt;
        }
        line.remove_prefix(key.size());
        auto space = line.find(' ');
        auto status = status_named(line.substr(0, space));
        if (!status || space == std::string_view::npos) {
            return std::nullopt;
        }
        auto path = smtp::read_path(line.substr(space + 1));
        auto* parsed = std::get_if<smtp::Path>(&path);
        if (!parsed || !parsed->mailbox) {
            return std::nullopt;
        }
        QueuedRecipient recipient{*parsed->mailbox, *status, {}, {}};
        if (!parsed->rest.empty()) {
            if (parsed->rest.size() < 2 || parsed->rest[0] != ' ') {
                return std::nullopt;
            }
            recipient.last_reply = parsed->rest.substr(1);
        }
        return recipient;
    }

    EnvelopeError fail(const std::string& what) const {
        return EnvelopeError{"line " + std::to_string(line_number_) + ": " + what};
    }

    std::string_view rest_;
    int line_number_ = 0;
};

}  // namespace

std::string new_queue_id() {
    static std::atomic<std::uint64_t> calls{0};
    auto micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    char id[64];
    std::snprintf(id, sizeof id, "%llX-%X-%llX", static_cast<unsigned long long>(micros),
                  static_cast<unsigned>(::getpid()), static_cast<unsigned long long>(calls.fetch_add(1) + 1));
    return id;
}

bool is_queue_id(std::string_view text) {
    if (text.empty() || text.size() > 64) {
        return false;
    }
    for (char c : text) {
        if (!mailsteps::is_alpha(c) && !mailsteps::is_digit(c) && c != '-' && c != '_') {
            return false;
        }
    }
    return true;
}

std::optional<std::string> format_envelope(const QueueEntry& entry) {
    auto sender = entry.sender ? path_text(*entry.sender) : std::optional<std::string>{"<>"};
    if (!is_queue_id(entry.id) || entry.recipients.empty() || entry.attempts < 0 || !sender) {
        return std::nullopt;
    }
    std::string text{magic};
    text += "\nid " + entry.id;
    text += "\nsender " + *sender;
    text += "\narrival " + format_time(entry.arrival);
    text += "\nnext-attempt " + format_time(entry.next_attempt);
    text += "\nattempts " + std::to_string(entry.attempts);
    for (const auto& recipient : entry.recipients) {
        auto path = path_text(recipient.address);
        if (!path) {
            return std::nullopt;
        }
        text += "\nrecipient " + std::string{name_of(recipient.status)} + " " + *path;
        if (!recipient.last_reply.empty()) {
            text += " " + one_line(recipient.last_reply);
        }
        if (!recipient.remote_host.empty()) {
            text += "\nremote-host " + one_line(recipient.remote_host);
        }
    }
    text += "\nend\n";
    if (text.size() > max_envelope_size) {
        return std::nullopt;
    }
    return text;
}

std::variant<QueueEntry, EnvelopeError> parse_envelope(std::string_view text) {
    return EnvelopeReader{text}.read();
}

}  // namespace relay
