"""Test doubles of the outside world for tests, benchmarks and local development; never imported by kreiswerk."""
