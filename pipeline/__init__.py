"""Small, tested tools the CI/CD pipeline runs, so that its YAML holds single commands only."""

# This folder is installed under the name gitlab_k8s_cd.pipeline (pyproject.toml). Imported under its folder's name
# as well, every module would load twice, as two sets of classes; so that name is refused.
if __name__ != "gitlab_k8s_cd.pipeline":
    raise ImportError(
        f"{__name__}: import gitlab_k8s_cd.pipeline, not the folder by its name; in this checkout, `pip install -e .` "
        "(make does) installs it"
    )
