"""Layer 5, add-ons built on the layers below: the stall watchdog."""
