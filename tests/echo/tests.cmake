# The echo server (chapters 01 to 04): it sends back what it receives.
mailsteps_dialogs(SERVER echo_server PROTOCOL echo)
mailsteps_topic_test(echo_tests SOURCES echo/echo_test.cpp SERVER echo_server)
