"""Test fixtures for real Postgres and RabbitMQ, isolated per test (a database and a vhost each)."""
