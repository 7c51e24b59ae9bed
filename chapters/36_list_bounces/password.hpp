#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Passwords are stored only as crypt(3) hashes, like /etc/shadow: slow to compute, salted, and
// self-describing ("$y$..." is yescrypt), so a stolen users file does not give the passwords away.
namespace accounts {

// crypt(3) takes at most this many octets (CRYPT_MAX_PASSPHRASE_SIZE, less the NUL).
constexpr std::size_t max_password_size = 511;

// crypt(3) with the system's preferred method (yescrypt on Debian 12) and a fresh random salt
// from the OS. The password must not contain NUL or be longer than max_password_size (callers
// check; std::invalid_argument otherwise). Throws std::runtime_error if the system cannot hash
// (a start-up style failure).
std::string hash_password(std::string_view password);

// True when `password` hashes to `hash`. Thread-safe. A malformed hash (or one crypt refuses,
// such as "*" or "!", which lock an account as in /etc/shadow) or a password containing NUL: false.
bool verify_password(std::string_view password, std::string_view hash);

}  // namespace accounts
