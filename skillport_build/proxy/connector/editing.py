"""`propose_change` as the connector runs it: the access policy's writers only, the current files
from the skill's verified bundle, the core validator, then one pull request (never a commit to
the default branch). Editing is off unless `propose:` names a GitHub token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from skillport_build.errors import ProposalError
from skillport_build.models.access import Identity
from skillport_build.proxy.config import ProposeSettings, ServeConfig
from skillport_build.proxy.connector.propose import Proposal, check_proposal, open_pull_request
from skillport_build.proxy.connector.skills_ext import SkillFiles
from skillport_build.release import github_pr

Proposer = Callable[[Identity, Proposal], dict[str, Any]]


class Editor:
    """Opens the pull requests editors propose, through one GitHub token."""

    def __init__(self, settings: ProposeSettings, files: SkillFiles) -> None:
        self.settings, self.files, self.proxy = settings, files, files.proxy

    def propose(self, identity: Identity, proposal: Proposal) -> dict[str, Any]:
        """Check who asks and what they send, then open one pull request; say where it is."""
        catalog = self.proxy.indexed().catalog
        plugin = next((p for p in catalog.plugins if p.name == proposal.plugin), None)
        if plugin is None or not identity.matches(catalog.access.writers(proposal.plugin, proposal.skill)):
            self.proxy.state.audit(
                "propose.refused", identity.email, {"plugin": proposal.plugin, "skill": proposal.skill}
            )
            raise ProposalError(
                f"you may not propose changes to {proposal.plugin}/{proposal.skill}, or there is no such "
                "plugin; ask an admin to add you to its writers in .skillport/access.yaml"
            )
        existing = next((s for s in catalog.skills if s.name == proposal.skill), None)
        if existing is not None and existing.plugin != proposal.plugin:
            raise ProposalError(
                f"{proposal.skill} belongs to the plugin {existing.plugin}; propose the change there"
            )
        checked = check_proposal(proposal, self.files.files(existing) if existing else {}, catalog)
        repository = self.settings.repository or catalog.source.repository
        if not repository:
            raise ProposalError(
                "the catalog does not say which repository it was built from; set propose.repository"
            )
        github = github_pr.client(self.settings.token, self.settings.api_url)
        opened = open_pull_request(github, repository, checked)
        self.proxy.state.audit(
            "propose",
            identity.email,
            {
                "plugin": proposal.plugin,
                "skill": proposal.skill,
                "pull": opened.number,
                "branch": opened.branch,
            },
        )
        return asdict(opened)


def proposer_for(config: ServeConfig, files: SkillFiles) -> Proposer | None:
    """This proxy's proposer, or None when no GitHub token is configured (editing is off)."""
    return Editor(config.propose, files).propose if config.propose is not None else None
