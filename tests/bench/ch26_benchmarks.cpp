// Microbenchmarks of chapter 26's hot paths: the work per DNS answer, per SMTP command and per
// octet of mail, on the inputs a real server sees. Each checks its input once before timing it.

#include "dns/packets.hpp"
#include "dns_fast_path/message_view.hpp"
#include "dns_message.hpp"
#include "line_buffer.hpp"
#include "pop3_data.hpp"
#include "smtp_command.hpp"
#include "smtp_data.hpp"
#include "spool.hpp"

#include <benchmark/benchmark.h>

#include <arpa/nameser.h>
#include <resolv.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace {

// A typical ~100 KB mail as Maildir stores it (LF line ends): headers, a short text part with
// two lines that start with a dot, and a base64 attachment in 76-character lines (RFC 2045 6.8).
std::string sample_message() {
    std::string text =
        "Received: from client.example.org (client.example.org [192.0.2.10])\n"
        "\tby mx1.example.test with ESMTP id 4f2a9c; Tue, 4 Jun 2024 10:15:02 +0000\n"
        "From: Alice <alice@example.org>\n"
        "To: Bob <bob@example.test>\n"
        "Subject: the quarterly figures\n"
        "Date: Tue, 4 Jun 2024 12:15:00 +0200\n"
        "Message-ID: <20240604101500.4f2a9c@client.example.org>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"=-boundary\"\n"
        "\n"
        "--=-boundary\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "Hello Bob,\n"
        "\n"
        "the figures are attached. The totals did not change much since last time...\n"
        "...but the second sheet is new.\n"
        "\n"
        ".signature: Alice\n"
        "\n"
        "--=-boundary\n"
        "Content-Type: application/pdf; name=\"figures.pdf\"\n"
        "Content-Transfer-Encoding: base64\n"
        "\n";
    constexpr std::string_view base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::uint32_t random = 12345;  // a fixed sequence: the same message every run
    while (text.size() < 100 * 1024) {
        for (int i = 0; i < 76; ++i) {
            random = random * 1103515245 + 12345;
            text += base64[random >> 16 & 63];
        }
        text += '\n';
    }
    text += "--=-boundary--\n";
    return text;
}

const std::string message_text = sample_message();
// The message as a client sends it after DATA: CRLF line ends, dot-stuffed, then "." CRLF
// (RFC 5321 4.5.2). POP3 sends messages in the same form (RFC 1939 3).
const std::string message_wire = pop3::to_wire(message_text);

constexpr std::uint64_t max_message_size = 10485760;  // the server's default
constexpr std::size_t read_chunk = 4096;              // what LineStream reads at a time

// DATA as the session receives it: 4 KiB reads framed into lines by LineBuffer, each line (a
// fresh Line, as LineStream::read_line returns it) given to MessageBuilder up to the ".".
smtp::MessageBuilder receive_data(std::string_view wire) {
    mailsteps::LineBuffer buffer;
    smtp::MessageBuilder message(max_message_size, std::filesystem::temp_directory_path());
    std::size_t received = 0;
    for (;;) {
        mailsteps::Line line;
        switch (buffer.next_line(smtp::MessageBuilder::max_stuffed_line, line)) {
        case mailsteps::LineBuffer::Status::line:
            if (message.add_line(line)) {
                return message;
            }
            break;
        case mailsteps::LineBuffer::Status::too_long:
            message.add_too_long_line();
            break;
        case mailsteps::LineBuffer::Status::need_more: {
            if (received == wire.size()) {
                return message;  // no end line: the caller's check fails
            }
            auto space = buffer.prepare(read_chunk);
            auto size = wire.copy(space.data(), space.size(), received);
            buffer.commit(size);
            received += size;
            break;
        }
        }
    }
}

// The whole of a spooled text.
std::string read_spool(const mailsteps::Spool& spool) {
    std::string text;
    spool.read([&](std::string_view piece) {
        text += piece;
        return std::error_code{};
    });
    return text;
}

bool received_intact(const smtp::MessageBuilder& message) {
    return message.problem() == smtp::MessageBuilder::Problem::none && read_spool(message.text()) == message_text;
}

// What the session does with one command line: the verb, then MAIL's or RCPT's argument.
// False when the argument has a syntax error.
bool parse_command_line(std::string_view line) {
    auto command = smtp::parse_command(line);
    benchmark::DoNotOptimize(command);
    if (command.verb == smtp::Verb::mail) {
        auto mail = smtp::parse_mail_from(command.argument);
        benchmark::DoNotOptimize(mail);
        return std::holds_alternative<smtp::MailFrom>(mail);
    }
    if (command.verb == smtp::Verb::rcpt) {
        auto rcpt = smtp::parse_rcpt_to(command.argument);
        benchmark::DoNotOptimize(rcpt);
        return std::holds_alternative<smtp::RcptTo>(rcpt);
    }
    return true;
}

// A real MX answer (dnsmasq): two MX records with compressed names, their A and AAAA
// addresses as additional records, and EDNS0. Items: packets.
void dns_parse_mx_answer(benchmark::State& state) {
    const std::span<const std::uint8_t> packet = dns::packets::packet("mx_two_hosts");
    if (!std::holds_alternative<dns::Message>(dns::parse_message(packet))) {
        state.SkipWithError("the captured MX answer does not parse");
        return;
    }
    for (auto _ : state) {
        auto message = dns::parse_message(packet);
        benchmark::DoNotOptimize(message);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(dns_parse_mx_answer);

// The anchor for the above: the same answer read with glibc's libresolv, the way mail servers
// in C read answers (Postfix's dns_lookup() expands names with dn_expand): every record of every
// section with ns_parserr, which expands its owner name to text, and each MX exchange with
// dn_expand. Addresses are copied out, as parse_message decodes them. Items: packets.
void dns_parse_mx_answer_libresolv(benchmark::State& state) {
    const std::span<const std::uint8_t> packet = dns::packets::packet("mx_two_hosts");
    auto parse = [&] {
        ns_msg message;
        if (ns_initparse(packet.data(), static_cast<int>(packet.size()), &message) != 0) {
            return false;
        }
        for (const ns_sect section : {ns_s_qd, ns_s_an, ns_s_ns, ns_s_ar}) {
            for (int i = 0; i < ns_msg_count(message, section); ++i) {
                ns_rr record;
                if (ns_parserr(&message, section, i, &record) != 0) {
                    return false;
                }
                benchmark::DoNotOptimize(record);
                if (section == ns_s_qd) {
                    continue;  // a question has no RDATA
                }
                std::array<std::uint8_t, 16> address{};
                char exchange[NS_MAXDNAME];
                switch (ns_rr_type(record)) {
                case ns_t_mx:
                    if (ns_rr_rdlen(record) < 3 || dn_expand(ns_msg_base(message), ns_msg_end(message),
                                                             ns_rr_rdata(record) + 2, exchange, sizeof exchange) < 0) {
                        return false;
                    }
                    benchmark::DoNotOptimize(exchange);
                    break;
                case ns_t_a:
                case ns_t_aaaa:
                    std::copy_n(ns_rr_rdata(record), std::min<std::size_t>(ns_rr_rdlen(record), 16), address.begin());
                    benchmark::DoNotOptimize(address);
                    break;
                default:
                    break;
                }
            }
        }
        return true;
    };
    if (!parse()) {
        state.SkipWithError("libresolv does not parse the captured MX answer");
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(parse());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(dns_parse_mx_answer_libresolv);

// How a production resolver parses instead (tests/dns_fast_path/message_view.hpp, like Unbound's
// parse_packet): one pass that makes every check parse_message makes and only notes where each
// record is, then decodes what the caller asks for. Measured three ways: the pass alone; then
// also the answer's data, each MX exchange and address; then also every record's owner name,
// nearly the reading the libresolv anchor does (it expands the question's name too).
// message_view_test.cpp holds the view to parse_message's verdict on every packet. Items: packets.
enum class ViewReading { index, mx_and_addresses, every_name };

void dns_view(benchmark::State& state, ViewReading reading) {
    const std::span<const std::uint8_t> packet = dns::packets::packet("mx_two_hosts");
    auto read = [&] {
        const auto message = dns::view::MessageView::parse(packet);
        if (!message || reading == ViewReading::index) {
            return message.has_value();
        }
        for (const auto records : {message->answers(), message->authority(), message->additional()}) {
            for (const auto& record : records) {
                if (reading == ViewReading::every_name) {
                    benchmark::DoNotOptimize(message->owner(record));
                }
                if (record.type == dns::Type::MX) {
                    benchmark::DoNotOptimize(message->mx(record));
                } else if (record.type == dns::Type::A) {
                    benchmark::DoNotOptimize(message->a(record));
                } else if (record.type == dns::Type::AAAA) {
                    benchmark::DoNotOptimize(message->aaaa(record));
                }
            }
        }
        return true;
    };
    if (!read()) {
        state.SkipWithError("the view rejects the captured MX answer");
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(read());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(dns_view, parse, ViewReading::index);
BENCHMARK_CAPTURE(dns_view, parse_and_read_mx_and_addresses, ViewReading::mx_and_addresses);
BENCHMARK_CAPTURE(dns_view, parse_and_read_every_name, ViewReading::every_name);

// The command lines of one typical transaction with two recipients. Items: lines.
void smtp_parse_commands(benchmark::State& state) {
    constexpr std::array<std::string_view, 6> lines{
        "EHLO client.example.org",
        "MAIL FROM:<alice@example.org> SIZE=102400 BODY=8BITMIME",
        "RCPT TO:<bob@example.test>",
        "RCPT TO:<carol.smith@example.test>",
        "DATA",
        "QUIT",
    };
    if (!std::all_of(lines.begin(), lines.end(), parse_command_line)) {
        state.SkipWithError("a command line has a syntax error");
        return;
    }
    for (auto _ : state) {
        for (auto line : lines) {
            benchmark::DoNotOptimize(parse_command_line(line));
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
}
BENCHMARK(smtp_parse_commands);

// Receiving the ~100 KB message after DATA: line framing, dot-unstuffing, CRLF to LF.
// Bytes: octets received.
void smtp_receive_data(benchmark::State& state) {
    if (!received_intact(receive_data(message_wire))) {
        state.SkipWithError("the message did not come through intact");
        return;
    }
    for (auto _ : state) {
        auto message = receive_data(message_wire);
        benchmark::DoNotOptimize(message);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message_wire.size()));
}
BENCHMARK(smtp_receive_data);

// The same, MessageBuilder alone on lines already framed: what framing costs is the difference.
void smtp_build_message(benchmark::State& state) {
    std::vector<mailsteps::Line> lines;
    mailsteps::LineBuffer buffer;
    buffer.append(message_wire);
    for (mailsteps::Line line;
         buffer.next_line(smtp::MessageBuilder::max_stuffed_line, line) == mailsteps::LineBuffer::Status::line;) {
        lines.push_back(line);
    }
    auto build = [&lines] {
        smtp::MessageBuilder message(max_message_size, std::filesystem::temp_directory_path());
        for (const auto& line : lines) {
            message.add_line(line);
        }
        return message;
    };
    if (!received_intact(build())) {
        state.SkipWithError("the message did not come through intact");
        return;
    }
    for (auto _ : state) {
        auto message = build();
        benchmark::DoNotOptimize(message);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message_wire.size()));
}
BENCHMARK(smtp_build_message);

// A stored ~100 KB message on its way out (RETR): LF to CRLF and dot-stuffing.
// Bytes: octets of the stored message.
void pop3_message_to_wire(benchmark::State& state) {
    for (auto _ : state) {
        auto wire = pop3::to_wire(message_text);
        benchmark::DoNotOptimize(wire);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message_text.size()));
}
BENCHMARK(pop3_message_to_wire);

}  // namespace
