"""The controller: the loop that keeps every app in line with git (queue, workers, watches)."""
