"""The public surface: what `from framework import ...` offers."""

import framework
from framework import errors


def test_framework_all():
    assert sorted(framework.__all__) == ["Agent", "DialogkitError", "__version__", "load_domain", "train", "validate"]
    for name in framework.__all__:
        assert getattr(framework, name) is not None


def test_error_tree_has_one_root():
    for cls in (errors.DomainError, errors.DataError, errors.ArchiveError, errors.ConfigError, errors.ComponentError):
        assert issubclass(cls, errors.DialogkitError)


def test_every_catalogue_message_renders():
    import string

    for code, (text, fix) in errors.MESSAGES.items():
        fields = {f for part in (text, fix) for _, f, _, _ in string.Formatter().parse(part) if f}
        issue = errors.message(code, **{f: "x" for f in fields})
        assert issue.code == code and issue.text and issue.fix
