"""Stand-ins for the outside world (Salesforce, Shopify) for tests, `make run` and the benchmarks; they import
nothing of the project, and no product module imports them."""
