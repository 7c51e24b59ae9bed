// libFuzzer target: arbitrary octets as an SMTP command line, its argument as MAIL FROM and
// RCPT TO, and the same octets as the text of a DATA block. Every property below is one the
// server relies on when it answers or stores what a client sent; a violation aborts.
//
// Built for chapter 07 onwards. Build and run, e.g. chapter 26's: `cmake --preset fuzz &&
// cmake --build --preset fuzz --target ch26_smtp_fuzz`, then `build-fuzz/tests/ch26_smtp_fuzz DIR
// -max_total_time=N`, with DIR seeded by `tests/fuzz_seeds.py smtp DIR` from the dialog scripts.

#include "smtp_command.hpp"
#include "smtp_data.hpp"

#include "line_buffer.hpp"
#include "message_testing.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace {

// RFC 5321 4.2: reply text is HT, SP and printable US-ASCII; ours has no HT either. Above all,
// no CR or LF from the client may end up in a reply, where it would split it.
bool is_reply_text(std::string_view text) {
    for (char c : text) {
        if (c < ' ' || c > '~') {
            return false;
        }
    }
    return true;
}

bool has_line_end_or_nul(std::string_view text) {
    return text.find_first_of(std::string_view{"\r\n\0", 3}) != std::string_view::npos;
}

void check(bool property) {
    if (!property) {
        std::abort();
    }
}

void check_mailbox(const smtp::Mailbox& mailbox) {
    check(!has_line_end_or_nul(mailbox.local_part) && !has_line_end_or_nul(mailbox.domain));
    // The relay writes the mailbox back out with to_string: it must read back the same.
    if (!mailbox.domain.empty()) {
        auto again = smtp::read_path("<" + smtp::to_string(mailbox) + ">");
        const auto* path = std::get_if<smtp::Path>(&again);
        check(path && path->mailbox == mailbox && path->rest.empty());
    }
}

template <typename Parsed>
void check_parsed(const std::variant<Parsed, smtp::SyntaxError>& result) {
    if (const auto* error = std::get_if<smtp::SyntaxError>(&result)) {
        check(is_reply_text(error->text));
    }
}

void check_command(std::string_view line) {
    const auto command = smtp::parse_command(line);
    const auto space = line.find(' ');
    check(command.argument == (space == line.npos ? "" : line.substr(space + 1)));

    const auto mail = smtp::parse_mail_from(command.argument);
    check_parsed(mail);
    if (const auto* from = std::get_if<smtp::MailFrom>(&mail); from && from->sender) {
        check_mailbox(*from->sender);
    }
    const auto rcpt = smtp::parse_rcpt_to(command.argument);
    check_parsed(rcpt);
    if (const auto* to = std::get_if<smtp::RcptTo>(&rcpt)) {
        check_mailbox(to->recipient);
    }
}

// The octets as a DATA block, read the way the session reads it. A message accepted without a
// problem has only LF line ends (the Maildir convention) and stays within the size limit. The
// data ends only right after CRLF "." CRLF (RFC 5321 4.1.1.4), or at the very start with "."
// CRLF (the DATA command's CRLF is the first): anywhere else, what follows would be read as
// commands that the client hid inside its message (SMTP smuggling).
void check_message(std::string_view bytes, std::uint64_t max_size) {
    mailsteps::LineBuffer buffer;
    buffer.append(bytes);
    auto message = smtp::tests::make_message_builder(max_size, "/nonexistent"); // inputs stay under the memory limit
    mailsteps::Line line;
    for (bool end = false; !end;) {
        const auto status = buffer.next_line(smtp::MessageBuilder::max_stuffed_line, line);
        if (status == mailsteps::LineBuffer::Status::line) {
            end = message.add_line(line);
            if (end) {
                const auto data = bytes.substr(0, bytes.size() - buffer.buffered());
                check(data == ".\r\n" || data.ends_with("\r\n.\r\n"));
            }
        } else if (status == mailsteps::LineBuffer::Status::too_long) {
            message.add_too_long_line();
        } else {
            end = true;
        }
        if (message.problem() == smtp::MessageBuilder::Problem::none) {
            const auto text = smtp::tests::whole_text(message.text());
            check(text.find('\r') == std::string::npos);
            check(text.size() <= max_size);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_command(bytes);
    // The first octet also sets the size limit, 0 to 4080 octets, so that the limit is hit.
    check_message(bytes, size == 0 ? 0 : std::uint64_t{data[0]} * 16);
    return 0;
}
