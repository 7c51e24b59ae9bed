# The production-style DNS parser (message_view.hpp, used by tests/bench) held to the lesson
# parser's verdict on every packet. Not a lesson of chapters 10 to 14: only the optimization
# chapter (26) lists it.
mailsteps_topic_test(dns_fast_path_tests SOURCES dns_fast_path/message_view_test.cpp dns_fast_path/message_view.cpp)
