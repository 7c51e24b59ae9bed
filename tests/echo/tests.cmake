# Echo: chapter 01's server. tests/echo/dialogs/*.dialog plus end-to-end tests in C++.
mailsteps_dialogs(SERVER echo_server PROTOCOL echo)
mailsteps_topic_test(echo_tests SOURCES echo/echo_test.cpp SERVER echo_server)
