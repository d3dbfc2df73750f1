"""Layer 2, timing: throttle, debounce and ``main_thread``, on top of the dispatcher."""
