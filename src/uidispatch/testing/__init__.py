"""Test helpers for apps and backends built on uidispatch (a pytest plugin)."""
