#include "echo_session.hpp"

#include <string>

using Read = mailsteps::LineStream::ReadStatus;

asio::awaitable<void> echo_session(mailsteps::LineStream& client, const EchoOptions& options) {
    for (;;) {
        auto [status, line] = co_await client.read_line(options.max_line, options.idle_timeout);
        switch (status) {
        case Read::line:
            co_await client.write(line.text + "\r\n");
            break;
        case Read::too_long:
            co_await client.write("error: line longer than " + std::to_string(options.max_line) + " octets\r\n");
            co_return;
        case Read::timed_out:
            co_await client.write("error: idle timeout\r\n");
            co_return;
        case Read::closed:
            co_return;
        }
    }
}
