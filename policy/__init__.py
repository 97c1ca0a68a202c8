"""gitlab-k8s-cd's CrossGuard policy pack: run it with `pulumi preview --policy-pack policy`."""
