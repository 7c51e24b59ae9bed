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

}  // namespace relay
