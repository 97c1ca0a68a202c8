"""ledger-infra's own components: a folder named like the library's, on purpose."""
