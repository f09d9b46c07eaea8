"""What starts syncs by itself: time-window partitions, the schedule and sensors."""
