"""Small, tested tools the CI/CD pipeline runs, so that its YAML holds single commands only."""
