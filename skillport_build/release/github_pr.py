"""Pull requests through PyGithub: the one report comment, and the labels that choose a bump."""

from __future__ import annotations

import os

from github import Auth, Github

from skillport_build.release.pr_report import MARKER

DEFAULT_API = "https://api.github.com"
LABEL_LEVELS = {"release:major": "major", "release:minor": "minor", "release:patch": "patch"}


def client(token: str, api_url: str | None = None) -> Github:
    """A PyGithub client for the Actions API (GITHUB_API_URL) or github.com."""
    return Github(auth=Auth.Token(token), base_url=api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API)


def upsert_report(gh: Github, repository: str, number: int, body: str) -> str:
    """Create the report comment, or update the one posted before; return "created" or "updated"."""
    issue = gh.get_repo(repository).get_issue(number)
    for comment in issue.get_comments():
        if MARKER in (comment.body or ""):
            comment.edit(body)
            return "updated"
    issue.create_comment(body)
    return "created"


def level_for_commit(gh: Github, repository: str, sha: str, default: str = "patch") -> str:
    """The bump the merged pull request asked for with a `release:minor` / `release:major` label."""
    levels = [
        LABEL_LEVELS[label.name]
        for pull in gh.get_repo(repository).get_commit(sha).get_pulls()
        for label in pull.labels
        if label.name in LABEL_LEVELS
    ]
    for level in ("major", "minor", "patch"):
        if level in levels:
            return level
    return default
