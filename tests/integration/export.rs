//! Exports of a recorded history (OpenMetrics, CSV): filled in by the next commit.
