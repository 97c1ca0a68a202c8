"""gitlab-k8s-cd's CrossGuard policy pack: run it with `pulumi preview --policy-pack policy`."""

# This folder is installed under the name gitlab_k8s_cd.policy (pyproject.toml). Imported under its folder's name
# as well, every module would load twice, as two sets of classes; so that name is refused.
if __name__ != "gitlab_k8s_cd.policy":
    raise ImportError(
        f"{__name__}: import gitlab_k8s_cd.policy, not the folder by its name; in this checkout, `pip install -e .` "
        "(make does) installs it"
    )
