"""Application records: a spec update (from the API, the config file or git) keeps the status
and the operator's flags; status and flags change only through their own calls."""

from __future__ import annotations

import pytest

from kedge.model import Secret
from kedge.store import Store

SPEC = {
    "source": {"repoURL": "https://git.example.com/infra.git", "targetRevision": "main", "path": "apps/web"},
    "syncPolicy": {"automated": True, "selfHeal": True, "prune": False},
}


def test_an_app_round_trips_with_an_empty_status(store: Store) -> None:
    store.put_app("web", SPEC, source="config")
    app = store.get_app("web")
    assert app is not None
    assert (app.name, app.spec, app.status, app.source) == ("web", SPEC, {}, "config")
    assert app.suspended is False and app.pinned_revision is None
    assert app.created_at == app.updated_at
    assert store.get_app("nope") is None


def test_updating_the_spec_keeps_status_flags_and_creation_time(store: Store) -> None:
    store.put_app("web", SPEC)
    status = {
        "sync": "Synced",
        "health": "Healthy",
        "lastAppliedRevision": "abc123",
        "lastAttemptedRevision": "abc123",
        "conditions": [{"type": "Ready", "status": "True", "reason": "Synced", "message": ""}],
    }
    store.set_app_status("web", status)
    store.set_app_flags("web", suspended=True, pinned_revision="abc123")
    created = store.get_app("web").created_at  # type: ignore[union-attr]

    changed = {**SPEC, "syncPolicy": {"automated": False}}
    store.put_app("web", changed, source="git")
    app = store.get_app("web")
    assert app is not None
    assert app.spec == changed and app.source == "git"
    assert app.status == status
    assert app.suspended is True and app.pinned_revision == "abc123"
    assert app.created_at == created and app.updated_at > created


def test_flags_left_out_are_left_alone_and_none_unpins(store: Store) -> None:
    store.put_app("web", SPEC)
    store.set_app_flags("web", pinned_revision="v1")
    store.set_app_flags("web", suspended=True)
    app = store.get_app("web")
    assert app is not None and (app.suspended, app.pinned_revision) == (True, "v1")
    store.set_app_flags("web", suspended=False, pinned_revision=None)
    app = store.get_app("web")
    assert app is not None and (app.suspended, app.pinned_revision) == (False, None)


def test_an_app_of_apps_child_names_its_parent(store: Store) -> None:
    store.put_app("child", SPEC, source="app:platform")
    assert store.get_app("child").source == "app:platform"  # type: ignore[union-attr]


def test_apps_are_listed_by_name_and_deleted_once(store: Store) -> None:
    for name in ("web", "api", "db"):
        store.put_app(name, {"source": {"path": name}})
    assert [a.name for a in store.list_apps()] == ["api", "db", "web"]
    assert store.delete_app("api") is True
    assert store.delete_app("api") is False
    assert [a.name for a in store.list_apps()] == ["db", "web"]


def test_status_and_flags_of_a_missing_app_are_refused(store: Store) -> None:
    with pytest.raises(LookupError, match="ghost"):
        store.set_app_status("ghost", {"sync": "Unknown"})
    with pytest.raises(LookupError, match="ghost"):
        store.set_app_flags("ghost", suspended=True)
    assert store.list_apps() == []


@pytest.mark.parametrize(
    ("name", "spec", "source", "error", "reason"),
    [
        ("web", SPEC, "ftp", ValueError, "unknown source"),
        ("web", SPEC, "app:", ValueError, "parent app without a name"),
        ("", SPEC, "api", ValueError, "empty name"),
        (" web", SPEC, "api", ValueError, "name with surrounding space"),
        ("web", ["not", "a", "mapping"], "api", TypeError, "spec is not a mapping"),
    ],
)
def test_bad_app_records_are_refused(
    store: Store, name: str, spec: object, source: str, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error):
        store.put_app(name, spec, source=source)  # type: ignore[arg-type]
    assert store.list_apps() == [], reason


def test_a_secret_in_an_app_spec_or_status_is_refused_without_its_value(store: Store) -> None:
    value = "s3cr3t-webhook-value"
    with pytest.raises(TypeError) as raised:
        store.put_app("web", {"source": {"repoURL": "x", "token": Secret(value, "fromEnv GIT_TOKEN")}})
    assert value not in str(raised.value) and "fromEnv GIT_TOKEN" in str(raised.value)
    assert store.get_app("web") is None
    store.put_app("web", SPEC)
    with pytest.raises(TypeError) as raised:
        store.set_app_status("web", {"message": Secret(value)})
    assert value not in str(raised.value)
    assert store.get_app("web").status == {}  # type: ignore[union-attr]
