"""The Kafka shell: client settings, consumer/producer construction, topic administration."""
