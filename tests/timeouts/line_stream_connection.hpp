#pragma once

// A server-side LineStream connected to a test client over 127.0.0.1, for the tests of
// LineStream (the timeouts topic, and stopping it in the threads topic).
#include "line_stream.hpp"
#include "shared/testing/client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <memory>

namespace mailsteps::testing {

struct Connection {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    LineClient client{acceptor.local_endpoint().port()};
    std::shared_ptr<LineStream> stream = std::make_shared<LineStream>(acceptor.accept(), Logger("test"));

    // Runs one coroutine on the stream to completion and returns its result.
    template <class T> T run(asio::awaitable<T> work) {
        auto result = asio::co_spawn(io, std::move(work), asio::use_future);
        io.restart();
        io.run();
        return result.get();
    }
};

} // namespace mailsteps::testing
