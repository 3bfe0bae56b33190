"""Catalog connectors: push a store's catalog to a sales channel (Shopify) under the rules of seed 004."""
