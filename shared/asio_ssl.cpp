// Asio's TLS implementation (asio/ssl.hpp), compiled once for the chapters that use it.
#include <asio/ssl/impl/src.hpp>
