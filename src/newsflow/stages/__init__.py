"""The pure stages: plain functions over plain data, no Kafka, no environment, no clock."""
