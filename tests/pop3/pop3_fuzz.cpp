// libFuzzer target: arbitrary octets as a POP3 command line and its arguments, and as a stored
// message on its way out (RETR, and TOP with the first octet as its count of lines). Every
// property below is one the server relies on; a violation aborts.
//
// Build and run: `cmake --preset fuzz && cmake --build --preset fuzz --target ch26_pop3_fuzz`,
// then `build-fuzz/tests/ch26_pop3_fuzz DIR -max_total_time=N`, with DIR seeded by
// `tests/fuzz_seeds.py pop3 DIR` from the dialog scripts.

#include "pop3_command.hpp"
#include "pop3_data.hpp"

#include "shared/ascii.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool property) {
    if (!property) {
        std::abort();
    }
}

void check_command(std::string_view line) {
    const auto command = pop3::parse_command(line);
    const auto space = line.find(' ');
    check(command.argument == (space == line.npos ? "" : line.substr(space + 1)));

    // A message number reads back as the digits it came from, leading zeros aside.
    if (const auto number = pop3::parse_message_number(line)) {
        const auto digits = line.substr(std::min(line.find_first_not_of('0'), line.size()));
        check(*number >= 1 && std::to_string(*number) == digits);
    }
    if (const auto top = pop3::parse_top_arguments(line)) {
        check(space != line.npos && pop3::parse_message_number(line.substr(0, space)) == top->first);
    }

    const auto hidden = pop3::hide_password(line);
    if (mailsteps::starts_with_ci(line, "PASS")) {
        check(hidden == std::string(line.substr(0, 4)) + " ****");
    } else {
        check(hidden == line);
    }
}

// RFC 1939 3: a multi-line response is lines ending in CRLF, none of them a lone "." but the
// terminating one. Returns how many lines were byte-stuffed (they start with "..").
std::size_t check_multiline(std::string_view wire) {
    check(wire.ends_with(".\r\n"));
    wire.remove_suffix(3);
    check(wire.empty() || wire.ends_with("\r\n"));
    std::size_t stuffed = 0;
    for (std::size_t start = 0; start < wire.size();) {
        const auto lf = wire.find('\n', start);
        check(lf > start && wire[lf - 1] == '\r');
        const auto line = wire.substr(start, lf - 1 - start);
        check(line != ".");
        stuffed += line.starts_with("..") ? 1 : 0;
        start = lf + 1;
    }
    return stuffed;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_command(bytes);

    // What LIST announces is what RETR sends, stuffing dots and terminator aside.
    const auto wire = pop3::to_wire(bytes);
    const auto stuffed = check_multiline(wire);
    check(wire.size() - 3 - stuffed == pop3::wire_size(bytes));

    // TOP sends the first lines of what RETR sends.
    const auto top = pop3::to_wire(bytes, size == 0 ? 0 : data[0]);
    check_multiline(top);
    check(wire.starts_with(std::string_view(top).substr(0, top.size() - 3)));
    return 0;
}
