"""hello: the example service gitlab-k8s-cd builds, tests and deploys."""
