// libFuzzer target: arbitrary octets through LineBuffer, arriving in chunks of arbitrary sizes.
// The first octet sets the line limit (1 to 256), the second the largest chunk (1 to 256); each
// chunk's size then comes from its own first octet. However the octets are cut, the lines must
// be those of the whole stream cut at its LFs, and the buffer must stay within the limit.
//
// Build and run: `cmake --preset fuzz && cmake --build --preset fuzz --target ch26_line_buffer_fuzz`,
// then `build-fuzz/tests/ch26_line_buffer_fuzz DIR -max_total_time=N`, with DIR seeded by
// `tests/fuzz_seeds.py line DIR` from the dialog scripts.

#include "line_buffer.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mailsteps::Line;
using mailsteps::LineBuffer;
using mailsteps::LineEnd;

void check(bool property) {
    if (!property) {
        std::abort();
    }
}

// What next_line should report, worked out from the whole stream at once: a line whose
// octets, LF included, fit in max_length, or a too-long line (nullopt). An unfinished last
// line is too long as soon as it reaches max_length octets, and otherwise not yet anything.
std::vector<std::optional<Line>> expected_lines(std::string_view stream, std::size_t max_length) {
    std::vector<std::optional<Line>> lines;
    while (!stream.empty()) {
        const auto lf = stream.find('\n');
        if (lf == stream.npos) {
            if (stream.size() >= max_length) {
                lines.emplace_back();
            }
            break;
        }
        if (lf + 1 > max_length) {
            lines.emplace_back();
        } else {
            auto text = stream.substr(0, lf);
            const auto end = text.ends_with('\r') ? LineEnd::crlf : LineEnd::bare_lf;
            text.remove_suffix(end == LineEnd::crlf ? 1 : 0);
            lines.push_back(Line{std::string(text), end});
        }
        stream.remove_prefix(lf + 1);
    }
    return lines;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::size_t max_length = std::size_t{data[0]} + 1;
    const std::size_t max_chunk = std::size_t{data[1]} + 1;
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
    const auto expected = expected_lines(stream, max_length);

    LineBuffer buffer;
    std::size_t next_expected = 0;
    Line line;
    for (std::size_t start = 0; start < stream.size();) {
        // As a socket read does: ask for room for a full chunk, fill part of it.
        const auto chunk = stream.substr(start, std::size_t{static_cast<std::uint8_t>(stream[start])} % max_chunk + 1);
        auto space = buffer.prepare(max_chunk);
        std::copy(chunk.begin(), chunk.end(), space.begin());
        buffer.commit(chunk.size());
        start += chunk.size();

        for (auto status = buffer.next_line(max_length, line); status != LineBuffer::Status::need_more;
             status = buffer.next_line(max_length, line)) {
            check(next_expected < expected.size());
            const auto& want = expected[next_expected++];
            if (status == LineBuffer::Status::too_long) {
                check(!want);
            } else {
                check(line.text.size() < max_length && line.text.find('\n') == std::string::npos);
                check(want && want->text == line.text && want->end == line.end);
            }
        }
        // Memory stays bounded: what waits for its LF is always shorter than a line may be.
        check(buffer.buffered() < max_length);
    }
    check(next_expected == expected.size());
    return 0;
}
