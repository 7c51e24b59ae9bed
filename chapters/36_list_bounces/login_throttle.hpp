#pragma once

#include "shared/duration.hpp"

#include <asio/ip/address.hpp>

#include <chrono>
#include <map>
#include <mutex>

namespace pop3 {

// Failed logins per client address, across connections. The delay after a wrong password and
// the cap per connection slow one connection down; someone guessing from connection after
// connection is stopped here: after `max_failures` within `window`, the address may not log
// in at all until its window has passed (like fail2ban, in the server). IPv6 addresses count
// per /64, the block one customer usually gets. Shared by every session, on any thread.
//
// An attempt counts from before its password is checked, not from when it turned out wrong:
// checking takes a while (crypt(3)), and sixty guesses sent at once would otherwise all be
// checked before the first failure was counted.
class LoginThrottle {
public:
    LoginThrottle(int max_failures, mailsteps::Duration window) : max_failures_(max_failures), window_(window) {}

    // Takes one of the address's attempts before its password is checked: false, taking
    // nothing, when they are all used up within the window.
    bool try_attempt(const asio::ip::address& address);
    // The password was right: the attempt taken for it does not count.
    void refund(const asio::ip::address& address);

private:
    using Clock = std::chrono::steady_clock;
    struct Attempts {
        int count = 0;           // failed, or being checked now
        Clock::time_point first; // the window runs from here
    };

    void forget_expired(Clock::time_point now);

    const int max_failures_;
    const mailsteps::Duration window_;
    std::mutex mutex_;
    std::map<asio::ip::address, Attempts> attempts_;
};

} // namespace pop3
