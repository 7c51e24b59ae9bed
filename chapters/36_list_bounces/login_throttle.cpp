#include "login_throttle.hpp"

#include <asio/ip/network_v6.hpp>

namespace pop3 {
namespace {

constexpr std::size_t tidy_above = 1024;         // addresses remembered before expired ones are dropped
constexpr std::size_t max_addresses = 100'000;    // memory stays bounded; per-connection limits still hold

asio::ip::address counted_as(const asio::ip::address& address) {
    if (address.is_v6() && !address.to_v6().is_v4_mapped()) {
        return asio::ip::make_network_v6(address.to_v6(), 64).network();
    }
    return address.is_v6() ? asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()) : address;
}

} // namespace

// Checking and taking happen under one lock: two sessions can never both take the last attempt.
bool LoginThrottle::try_attempt(const asio::ip::address& address) {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    if (attempts_.size() > tidy_above) {
        forget_expired(now);
    }
    auto key = counted_as(address);
    if (attempts_.size() >= max_addresses && !attempts_.contains(key)) {
        return true;
    }
    auto& attempts = attempts_[key];
    if (attempts.count == 0 || now - attempts.first >= window_) {
        attempts = {0, now};
    }
    if (attempts.count >= max_failures_) {
        return false;
    }
    ++attempts.count;
    return true;
}

void LoginThrottle::refund(const asio::ip::address& address) {
    std::lock_guard lock(mutex_);
    auto found = attempts_.find(counted_as(address));
    if (found != attempts_.end() && found->second.count > 0) {
        --found->second.count;
    }
}

void LoginThrottle::forget_expired(Clock::time_point now) {
    std::erase_if(attempts_, [&](const auto& entry) { return now - entry.second.first >= window_; });
}

} // namespace pop3
