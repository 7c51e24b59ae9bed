// libFuzzer target: arbitrary octets into parse_message. Whatever parses must also
// explain without trouble, and come back unchanged from encode and a second parse; and the
// benchmarks' production-style parser (tests/dns_fast_path/message_view.hpp) must accept
// exactly what it accepts.
//
// Build and run: `cmake --preset fuzz && cmake --build --preset fuzz --target ch14_dns_fuzz ch14_dns_corpus`,
// then `build-fuzz/tests/ch14_dns_corpus DIR` writes the captured packets into DIR as the seed
// corpus, and `build-fuzz/tests/ch14_dns_fuzz DIR -max_total_time=N` runs for N seconds.

#include "dns_explain.hpp"
#include "dns_message.hpp"
#include "message_view.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> wire(data, size);
    const auto parsed = dns::parse_message(wire);
    const auto* message = std::get_if<dns::Message>(&parsed);
    if (dns::view::MessageView::parse(wire).has_value() != (message != nullptr)) {
        std::abort();
    }
    if (!message) {
        return 0;
    }
    dns::explain(wire);
    const auto again = dns::parse_message(dns::encode(*message));
    if (!std::holds_alternative<dns::Message>(again) || !(std::get<dns::Message>(again) == *message)) {
        std::abort();
    }
    return 0;
}
