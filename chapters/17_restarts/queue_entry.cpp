#include "queue_entry.hpp"

#include "shared/ascii.hpp"

#include <array>

namespace relay {
namespace {

constexpr std::string_view magic = "mailsteps-queue-envelope 1";

constexpr std::array<std::pair<RecipientStatus, std::string_view>, 3> status_names{{
    {RecipientStatus::pending, "pending"},
    {RecipientStatus::delivered, "delivered"},
    {RecipientStatus::failed, "failed"},
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

// The remote server's words go on one line of the file.
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
        for (auto line = next_line(); line != "end"; line = next_line()) {
            auto recipient = parse_recipient(line);
            if (!recipient) {
                return fail("expected \"recipient STATUS <PATH>\" or \"end\"");
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
        QueuedRecipient recipient{*parsed->mailbox, *status, {}};
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
    if (!is_queue_id(entry.id) || entry.recipients.empty() || !sender) {
        return std::nullopt;
    }
    std::string text{magic};
    text += "\nid " + entry.id;
    text += "\nsender " + *sender;
    for (const auto& recipient : entry.recipients) {
        auto path = path_text(recipient.address);
        if (!path) {
            return std::nullopt;
        }
        text += "\nrecipient " + std::string{name_of(recipient.status)} + " " + *path;
        if (!recipient.last_reply.empty()) {
            text += " " + one_line(recipient.last_reply);
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
