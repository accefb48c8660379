"""The streaming shell shared by the services: consume loop, supervisor, HTTP, metrics."""
