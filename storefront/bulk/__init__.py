"""Bulk loads: validate a file, load it with the org's triggers off, upsert it to Salesforce with Bulk API 2.0."""
