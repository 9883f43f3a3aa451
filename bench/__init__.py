"""Benchmarks for kreiswerk: ``make bench`` (see docs/benchmarks.md). Not part of the product."""
