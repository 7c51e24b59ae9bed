# Disk threads (chapter 11 onwards, until part 2 of the re-cut moves them to the optimization
# chapter): blocking file work off the network threads, and what run() promises about it.
mailsteps_topic_test(server_disk_tests SOURCES disk_threads/server_disk_test.cpp)
mailsteps_topic_test(maildir_names_tests SOURCES disk_threads/maildir_names_test.cpp)
mailsteps_topic_test(pop3_login_tests SOURCES disk_threads/pop3_login_test.cpp SERVER mailserver)
