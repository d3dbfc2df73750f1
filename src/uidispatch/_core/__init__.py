"""Layer 1, the main-thread side: what every other layer stands on.

Priorities, the backend protocol, the queue and the dispatcher, the registry and plugin
loading, errors and option checks, the hand-over of app objects to the main thread, and fork
handling. Imports nothing above it; ``docs/concepts.md`` ("The layers") maps them all.
"""
