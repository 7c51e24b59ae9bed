# Restarts (chapter 17 onwards): reading the queue back at start-up. Its tests (the envelope
# parser, Queue::load, the crash-safety runs) still live in the bounces topic: to be moved here.
