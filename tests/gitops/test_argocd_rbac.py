"""Argo CD's RBAC for Conveyor, enforced by Casbin with Argo CD's own model and built-in policy
(read from the pinned argo-cd Go module) and its glob matcher: what `argocd admin settings rbac
can` answers. The argocd CLI itself cannot be built here (ADR 0700), Casbin is the engine inside it.

Argo CD evaluates a project's roles with the global policy: the project's policies, and a
grouping `g, <group>, proj:<project>:<role>` per group of each role.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import casbin
import pytest
import yaml

from tests.gitops.support import GITOPS, upstream


def glob_match(value: str, pattern: str) -> bool:
    """Argo CD's globOrRegexMatch in its default (glob) mode: gobwas/glob without separators."""
    return fnmatch.fnmatchcase(value, pattern)


@pytest.fixture(scope="module")
def enforcer(tmp_path_factory: pytest.TempPathFactory) -> casbin.Enforcer:
    model = upstream.module_file(upstream.ARGO_CD, "assets/model.conf")
    builtin = upstream.module_file(upstream.ARGO_CD, "assets/builtin-policy.csv").read_text()
    rbac_cm = yaml.safe_load((GITOPS / "argocd/bootstrap/argocd-rbac-cm.yaml").read_text())
    project = yaml.safe_load((GITOPS / "argocd/project.yaml").read_text())
    lines = [builtin, rbac_cm["data"]["policy.csv"]]
    for role in project["spec"]["roles"]:
        lines += role["policies"]
        name = f"proj:{project['metadata']['name']}:{role['name']}"
        lines += [f"g, {group}, {name}" for group in role["groups"]]
    policy: Path = tmp_path_factory.mktemp("rbac") / "policy.csv"
    policy.write_text("\n".join(lines) + "\n")
    enforcer = casbin.Enforcer(str(model), str(policy))
    enforcer.add_function("globOrRegexMatch", lambda value, pattern: glob_match(str(value), str(pattern)))
    return enforcer


PROD = "conveyor/conveyor-prod"
CASES = [
    # developers read everything and sync dev, nothing else
    ("conveyor-developers", "applications", "get", "conveyor/conveyor-prod", True),
    ("conveyor-developers", "logs", "get", "conveyor/conveyor-stage", True),
    ("conveyor-developers", "applications", "sync", "conveyor/conveyor-dev", True),
    ("conveyor-developers", "applications", "sync", "conveyor/conveyor-stage", False),
    ("conveyor-developers", "applications", "sync", "conveyor/conveyor-prod", False),
    ("conveyor-developers", "applications", "delete", "conveyor/conveyor-dev", False),
    ("conveyor-developers", "applications", "update", "conveyor/conveyor-dev", False),
    # operators do everything, except delete prod (the application or its resources)
    ("conveyor-operators", "applications", "sync", "conveyor/conveyor-prod", True),
    ("conveyor-operators", "applications", "override", "conveyor/conveyor-prod", True),
    ("conveyor-operators", "applications", "delete", "conveyor/conveyor-stage", True),
    ("conveyor-operators", "applications", "delete", "conveyor/conveyor-prod", False),
    # … nor any one of prod's resources (Argo CD's fine-grained delete/<group>/<kind>/<ns>/<name>)
    ("conveyor-operators", "applications", "delete/apps/Deployment/conveyor-prod/conveyor-api", PROD, False),
    # anyone else: nothing (policy.default is empty)
    ("someone-else", "applications", "get", "conveyor/conveyor-dev", False),
    ("someone-else", "applications", "sync", "conveyor/conveyor-dev", False),
]


@pytest.mark.parametrize(("subject", "resource", "action", "obj", "allowed"), CASES)
def test_who_may_do_what(
    enforcer: casbin.Enforcer, subject: str, resource: str, action: str, obj: str, allowed: bool
) -> None:
    assert enforcer.enforce(subject, resource, action, obj) is allowed


def test_nobody_deletes_prod_by_hand(enforcer: casbin.Enforcer) -> None:
    """No group of the project's roles may delete prod, and the built-in admin (who could) is off."""
    project = yaml.safe_load((GITOPS / "argocd/project.yaml").read_text())
    groups = {g for role in project["spec"]["roles"] for g in role["groups"]}
    assert groups
    for group in groups:
        assert not enforcer.enforce(group, "applications", "delete", "conveyor/conveyor-prod")
    settings = yaml.safe_load((GITOPS / "argocd/bootstrap/argocd-cm.yaml").read_text())
    assert settings["data"]["admin.enabled"] == "false"
