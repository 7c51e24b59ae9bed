# Threads and shutdown (chapter 04 onwards): the Server in this process, and the echo server
# on several threads, stopped by signals, tracing its conversation.
mailsteps_topic_test(server_tests SOURCES threads/server_test.cpp threads/line_stream_stop_test.cpp)
mailsteps_topic_test(echo_thread_tests SOURCES threads/echo_threads_test.cpp SERVER echo_server)
