"""Layer 4, work: tasks and the pool that runs them.

The scheduler and runner, per-key concurrency, busy state, gather, streaming, subprocesses
and shutdown. Applies the services of layer 3 to the tasks it runs.
"""
