"""The bad-input corpus: hostile and careless inputs from DESIGN §5 and from the advisories of
GitOps tools (Argo CD, Flux), each with the words its refusal must contain.

Two families:

- ``MANIFESTS``: an app's files (``resources.yaml`` and friends, symlinks too). They reach
  Kedge through ``kedge apply DIR`` and, committed to git, through an app of the server.
- ``SOURCES``: an app's source as a user gives it to ``POST /api/v1/apps`` or
  ``kedge app create``: repository URL, revision, path, name.

``CANARY`` is a secret value planted where a careless error message would print it (an
environment variable and a file read by ``fromEnv``/``fromFile``, a URL's password); it must
never appear in any output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CANARY = "canary-7d3f0b5e-never-print-me"
CANARY_ENV = "KEDGE_CORPUS_CANARY"
GOOD_FILE = "apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: ok}\nspec: {path: ok.txt, content: ok}\n"


def file_doc(name: str, spec: str, meta: str = "") -> str:
    return f"apiVersion: local.kedge.dev/v1\nkind: File\nmetadata:\n  name: {name}\n{meta}spec:\n{spec}"


@dataclass(frozen=True)
class Manifests:
    id: str
    files: dict[str, str | bytes]  # relative path -> text; GOOD_FILE is prepended to resources.yaml
    fragments: tuple[str, ...]  # every one must appear in the CLI's message
    links: dict[str, str] = field(default_factory=dict)  # relative path -> target ("{outside}" substituted)
    # Through git, a symlink is skipped with a warning (never followed) and the rest applies:
    # the case then checks that nothing beyond the link was read.
    git_skips: bool = False
    kept: str = ""  # for those: the one resource that applies


def _res(body: str) -> dict[str, str | bytes]:
    return {"resources.yaml": GOOD_FILE + "---\n" + body}


MANIFESTS = [
    Manifests("path-dotdot", _res(file_doc("a", "  path: ../escape.txt\n")), ("resources.yaml:", "..")),
    Manifests("path-dotdot-inside", _res(file_doc("a", "  path: a/../../escape.txt\n")), ("resources.yaml:", "..")),
    Manifests("path-absolute", _res(file_doc("a", "  path: /etc/kedge-escape.txt\n")), ("resources.yaml:", "/etc/kedge-escape.txt")),
    Manifests("path-nul-byte", _res(file_doc("a", '  path: "a\\0b.txt"\n')), ("resources.yaml:", "spec.path")),
    Manifests(
        "symlinked-manifest-out-of-the-app",
        {"resources.yaml": GOOD_FILE.replace("ok", "kept-a")},
        ("link.yaml", "symlink"),
        links={"link.yaml": "{outside}/outside.yaml"},
        git_skips=True,
        kept="kept-a",
    ),
    Manifests(
        "symlinked-directory-out-of-the-app",
        {"resources.yaml": GOOD_FILE.replace("ok", "kept-b")},
        ("sub", "symlink"),
        links={"sub": "{outside}"},
        git_skips=True,
        kept="kept-b",
    ),
    Manifests(
        "fromFile-outside-the-app",
        _res(file_doc("a", "  path: a.txt\n  content: {fromFile: ../outside/secret.txt}\n")),
        ("resources.yaml:",),
    ),
    Manifests(
        "fromFile-absolute",
        _res(file_doc("a", "  path: a.txt\n  content: {fromFile: /etc/hostname}\n")),
        ("resources.yaml:",),
    ),
    Manifests("alias-bomb", _res("a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"), ("resources.yaml:", "alias")),
    Manifests("merge-key", _res("base: &b {path: x}\nother:\n  <<: *b\n"), ("resources.yaml:", "alias")),
    Manifests(
        "python-object-tag",
        _res("apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {name: a}\nspec: !!python/object/apply:os.system ['true']\n"),
        ("resources.yaml:",),
    ),
    Manifests("oversized-file", {"big.yaml": "# " + "x" * (3 * 1024 * 1024) + "\n", "resources.yaml": GOOD_FILE}, ("big.yaml", "MiB")),
    Manifests("nesting-10000-deep", _res("x: " + "[" * 10000 + "]" * 10000 + "\n"), ("resources.yaml:", "nesting")),
    Manifests("duplicate-keys", _res(file_doc("a", "  path: a.txt\n  path: b.txt\n")), ("resources.yaml:", "path")),
    Manifests("invalid-utf8", {"resources.yaml": GOOD_FILE.encode() + b"---\nx: \xff\xfe\n"}, ("resources.yaml",)),
    Manifests("tab-indentation", _res("apiVersion: local.kedge.dev/v1\nkind: File\nmetadata:\n\tname: a\n"), ("resources.yaml:",)),
    Manifests("document-not-a-mapping", _res("- a\n- b\n"), ("resources.yaml:",)),
    Manifests("unknown-kind", _res("apiVersion: local.kedge.dev/v1\nkind: Fiel\nmetadata: {name: a}\nspec: {}\n"), ("resources.yaml:", "Fiel")),
    Manifests("unknown-api-version", _res("apiVersion: nope.kedge.dev/v9\nkind: File\nmetadata: {name: a}\nspec: {}\n"), ("resources.yaml:", "nope.kedge.dev/v9")),
    Manifests("unknown-field", _res(file_doc("a", "  path: a.txt\n  colour: red\n")), ("resources.yaml:", "colour")),
    Manifests("wrong-type", _res(file_doc("a", "  path: a.txt\n  content: [1, 2]\n")), ("resources.yaml:", "content")),
    Manifests("missing-name", _res("apiVersion: local.kedge.dev/v1\nkind: File\nmetadata: {}\nspec: {path: a.txt}\n"), ("resources.yaml:", "name")),
    Manifests("name-with-slash", _res(file_doc("a/b", "  path: a.txt\n")), ("resources.yaml:", "a/b")),
    Manifests("duplicate-name", {"resources.yaml": GOOD_FILE, "more.yaml": GOOD_FILE.replace("ok.txt", "ok2.txt")}, ("ok",)),
    Manifests("invalid-mode", _res(file_doc("a", "  path: a.txt\n  mode: '999'\n")), ("resources.yaml:", "mode")),
    Manifests(
        "dependency-cycle",
        _res(file_doc("a", "  path: a.txt\n", "  annotations: {kedge.dev/depends-on: File/b}\n") + "---\n"
             + file_doc("b", "  path: b.txt\n", "  annotations: {kedge.dev/depends-on: File/a}\n")),
        ("cycle",),
    ),
    Manifests("depends-on-nothing", _res(file_doc("a", "  path: a.txt\n", "  annotations: {kedge.dev/depends-on: File/ghost}\n")), ("resources.yaml:", "ghost")),
    Manifests("missing-reference", _res(file_doc("a", "  path: a.txt\n  content: {fromResource: {kind: File, name: ghost, field: sha256}}\n")), ("resources.yaml:", "ghost")),
    Manifests("unknown-annotation-value", _res(file_doc("a", "  path: a.txt\n", "  annotations: {kedge.dev/deletion-policy: Sometimes}\n")), ("resources.yaml:", "Sometimes")),
    Manifests("missing-provider-config", _res("apiVersion: postgres.kedge.dev/v1\nkind: Role\nmetadata: {name: app}\nspec: {login: true}\n"), ("resources.yaml:", "ProviderConfig")),
    Manifests("unset-from-env", _res(file_doc("a", "  path: a.txt\n  content: {fromEnv: KEDGE_CORPUS_SURELY_UNSET}\n")), ("resources.yaml:", "KEDGE_CORPUS_SURELY_UNSET")),
    Manifests("secret-from-file-failing-validation", _res(file_doc("a", "  path: a.txt\n  mode: {fromFile: canary.txt}\n")) | {"canary.txt": CANARY}, ("resources.yaml:", "mode")),
    Manifests("secret-from-env-failing-validation", _res(file_doc("a", f"  path: a.txt\n  mode: {{fromEnv: {CANARY_ENV}}}\n")), ("resources.yaml:", "mode")),
    Manifests("declares-a-composition", _res("apiVersion: kedge.dev/v1\nkind: Composition\nmetadata: {name: x}\nspec: {definition: Nope, resources: []}\n"), ("resources.yaml:",)),
]


@dataclass(frozen=True)
class Source:
    id: str
    name: str = "bad-source"
    repo: str = "https://git.example.test/platform/apps.git"
    revision: str = "main"
    path: str = "apps/x"
    field: str = ""  # the field the refusal must name

    def body(self, marker: str) -> dict[str, object]:
        source = {"repoURL": self.repo.format(marker=marker), "targetRevision": self.revision.format(marker=marker),
                  "path": self.path}
        return {"name": self.name, "spec": {"source": source}}


SOURCES = [
    Source("repo-url-upload-pack", repo="--upload-pack=touch {marker}", field="repoURL"),
    Source("repo-url-config-option", repo="-cprotocol.ext.allow=always", field="repoURL"),
    Source("repo-url-ext-transport", repo="ext::sh -c touch% {marker}", field="repoURL"),
    Source("repo-url-ssh-host-option", repo="ssh://-oProxyCommand=touch%20{marker}/x", field="repoURL"),
    Source("repo-url-fd-transport", repo="fd::17", field="repoURL"),
    Source("revision-upload-pack", revision="--upload-pack=touch {marker}", field="targetRevision"),
    Source("revision-config-option", revision="-ccore.sshCommand=touch {marker}", field="targetRevision"),
    Source("revision-dotdot", revision="main..HEAD", field="targetRevision"),
    Source("revision-nul", revision="main\x00--upload-pack=x", field="targetRevision"),
    Source("url-password-with-bad-revision", repo=f"https://deploy:{CANARY}@git.example.test/a.git",
           revision="--x", field="targetRevision"),
    Source("url-password-with-control-characters", repo=f"https://deploy:{CANARY}@git.example.test/\x01a.git",
           field="repoURL"),
    Source("url-insecure-metadata-address", repo="http://169.254.169.254/latest/meta-data/", field="repoURL"),
    Source("local-source-not-allowed", repo="/etc", field="repoURL"),
    Source("file-url-not-allowed", repo="file:///etc", field="repoURL"),
    Source("file-url-via-localhost", repo="file://localhost/etc", field="repoURL"),
    Source("url-insecure-localhost", repo="http://localhost:8080/admin.git", field="repoURL"),
    Source("url-unknown-scheme", repo="gopher://git.example.test/a.git", field="repoURL"),
    Source("path-dotdot", path="../../etc", field="path"),
    Source("path-absolute", path="/etc", field="path"),
    Source("path-nul", path="apps/\x00x", field="path"),
    Source("name-with-dotdot", name="..", field="name"),
    Source("name-with-slash", name="a/b", field="name"),
]
