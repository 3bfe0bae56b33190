"""Benchmarks that print figures (`python manage.py bench ...`); tooling, outside the product apps."""
