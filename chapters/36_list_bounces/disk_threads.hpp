#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace mailsteps {

// Threads for blocking file work. Storing a message waits for the disk (fsync) for milliseconds;
// done on a network thread, it would stop every other session on that thread meanwhile. So a
// session hands the work to these threads and waits for it the way it waits for the network,
// and many fsyncs are in flight at once, which the kernel writes and flushes together.
// Other work that would hold a network thread as long goes here too, such as checking a
// password: crypt(3) is slow on purpose.
class DiskThreads {
public:
    explicit DiskThreads(unsigned count) : pool_(count) {}

    // Runs `work` on one of these threads; the calling coroutine resumes with its result on its
    // own executor. `work` touches what the caller would have, while the caller is suspended.
    template <typename Work>
    asio::awaitable<std::invoke_result_t<Work&>> run(Work work) {
        using Result = std::invoke_result_t<Work&>;
        // In an optional because co_spawn needs a result it can default-construct (for when `work`
        // throws, and then it rethrows here instead), and not every Result has one.
        auto result = co_await asio::co_spawn(
            pool_, [&work]() -> asio::awaitable<std::optional<Result>> { co_return work(); }, asio::use_awaitable);
        co_return std::move(*result);
    }

    // Lets the jobs under way finish and drops those not yet started: once it returns, no job
    // runs any more, so nothing a job uses needs to outlive this call. For Server::run().
    void stop() {
        pool_.stop();
        pool_.join();
    }

private:
    asio::thread_pool pool_;
};

} // namespace mailsteps
