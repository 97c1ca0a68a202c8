"""How a value shows in an error message: never a credential, nor a value given for a secret-looking
field; cut when long."""

from __future__ import annotations

from gitlab_k8s_cd.components.validation import InvalidArgument


def test_an_error_never_echoes_a_credential_or_a_value_given_for_a_secret_looking_field():
    token = "glpat-" + "x1" * 10
    for error in (
        InvalidArgument("description", token, "must be short"),  # looks like a credential
        InvalidArgument("dbPasword", "hunter2hunter2", "is unknown"),  # a secret's name, typo'd
        InvalidArgument(("a", "apiToken"), ("x", "hunter2hunter2"), "differ"),
    ):
        assert token not in str(error) and "hunter2" not in str(error)
        assert "[secret, " in str(error)
    assert "'staging'" in str(InvalidArgument("environment", "staging", "is fine"))
    # A secret one level down, as an object or as the CLI's JSON text of one, under any key.
    for nested in ({"password": "hunter2hunter2"}, '{"DB_PASSWORD": "hunter2hunter2"}', ["x", {"apiToken": "hunter2"}]):
        assert "hunter2" not in str(InvalidArgument("dbConfig", nested, "is unknown"))
    assert "GREETING" in str(InvalidArgument("setings", '{"GREETING": "hi"}', "is unknown"))


def test_a_long_value_is_cut_in_a_message():
    error = InvalidArgument("url", "x" * 100_000, "must be short")
    assert len(str(error)) < 300
    assert "(100000 characters)" in str(error)
