"""`propose_change` as the connector runs it: the access policy's writers only, the current files
from the skill's verified bundle, the core validator, then one pull request (never a commit to
the default branch). Editing is off unless `propose:` names a GitHub token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from skillport_build.errors import ProposalError
from skillport_build.models.access import Identity
from skillport_build.models.catalog import Catalog, SkillRecord, skill_ref
from skillport_build.proxy.access import view_for
from skillport_build.proxy.config import ProposeSettings, ServeConfig
from skillport_build.proxy.connector.propose import Proposal, check_proposal, open_pull_request
from skillport_build.proxy.connector.skills_ext import SkillFiles

Proposer = Callable[[Identity, Proposal], dict[str, Any]]


class Editor:
    """Opens the pull requests editors propose, through one GitHub token."""

    def __init__(self, settings: ProposeSettings, files: SkillFiles) -> None:
        self.settings, self.files, self.proxy = settings, files, files.proxy

    def propose(self, identity: Identity, proposal: Proposal) -> dict[str, Any]:
        """Check who asks and what they send, then open one pull request; say where it is.

        A writer must also be a reader: a skill the person may not read is, to them, a skill that
        does not exist (its files are never loaded, its name never confirmed), and a plugin they may
        not read or write is refused in the same words as one that does not exist."""
        catalog = self.proxy.indexed().catalog
        view = view_for(catalog, identity)
        existing = view.skill(skill_ref(proposal.plugin, proposal.skill))
        if not self._may_write(identity, catalog, proposal, existing):
            self.proxy.state.audit(
                "propose.refused", identity.email, {"plugin": proposal.plugin, "skill": proposal.skill}
            )
            raise ProposalError(
                f"you may not propose changes to {proposal.plugin}/{proposal.skill}, or there is no such "
                "plugin; ask an admin to add you to its writers in .skillport/access.yaml"
            )
        base = self.files.files(existing) if existing else {}
        checked = check_proposal(proposal, base, catalog, readable=view.skill_names)
        repository = self.settings.repository or catalog.source.repository
        if not repository:
            raise ProposalError(
                "the catalog does not say which repository it was built from; set propose.repository"
            )
        from skillport_build.release import github_pr  # PyGithub only once someone proposes

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

    @staticmethod
    def _may_write(
        identity: Identity, catalog: Catalog, proposal: Proposal, existing: SkillRecord | None
    ) -> bool:
        """Whether the person may read and write the plugin, and the skill when they can see it (a
        hidden skill's own rules are not consulted: to them it does not exist)."""
        if catalog.plugin(proposal.plugin) is None:
            return False
        skill = proposal.skill if existing is not None else None
        policy = catalog.access
        return identity.matches(policy.writers(proposal.plugin, skill)) and identity.matches(
            policy.readers(proposal.plugin, skill)
        )


def proposer_for(config: ServeConfig, files: SkillFiles) -> Proposer | None:
    """This proxy's proposer, or None when no GitHub token is configured (editing is off)."""
    return Editor(config.propose, files).propose if config.propose is not None else None
