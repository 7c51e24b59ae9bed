# Timeouts and limits (chapter 03 onwards): a read racing a timer (LineStream, in this process),
# and the echo server's idle timeout and connection limits end to end.
mailsteps_topic_test(line_stream_tests SOURCES timeouts/line_stream_test.cpp)
mailsteps_dialogs(SERVER echo_server PROTOCOL echo)
mailsteps_topic_test(echo_limit_tests SOURCES timeouts/echo_limits_test.cpp SERVER echo_server)
