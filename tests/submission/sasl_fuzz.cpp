// libFuzzer target: arbitrary octets as what a client sends in an SMTP AUTH exchange: decoded
// as base64, and the result parsed as a PLAIN message. Every property below is one the
// session relies on; a violation aborts.
//
// Build and run: `cmake --preset fuzz && cmake --build --preset fuzz --target ch28_sasl_fuzz`,
// then `build-fuzz/tests/ch28_sasl_fuzz DIR -max_total_time=N`, with DIR seeded by
// `tests/fuzz_seeds.py sasl DIR`.

#include "sasl.hpp"

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

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

void check_plain(std::string_view message) {
    const auto plain = smtp::parse_plain(message);
    if (!plain) {
        return;
    }
    // The three parts, joined again by NULs, are the message: nothing lost, nothing added.
    check(plain->authorization + '\0' + plain->user + '\0' + plain->password == message);
    check(!plain->user.empty() && !plain->password.empty());
    check(plain->authorization.size() <= 255 && plain->user.size() <= 255 && plain->password.size() <= 255);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (const auto decoded = smtp::decode_base64(input)) {
        // Only canonical base64 decodes: 4 characters for every 3 octets, from the alphabet.
        check(input.size() % 4 == 0 && input.find_first_not_of(alphabet) == std::string_view::npos);
        check(decoded->size() == input.size() / 4 * 3 - (input.ends_with("==") ? 2 : input.ends_with("=") ? 1 : 0));
        check_plain(*decoded);
    }
    check_plain(input);
    const auto hidden = smtp::hide_auth(input);
    check(hidden == input || hidden.ends_with(" ****"));
    return 0;
}
