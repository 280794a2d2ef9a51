"""Where a marketplace repository keeps its own files: paths from its root, or from a plugin's folder."""

from __future__ import annotations

MARKETPLACE_JSON = ".claude-plugin/marketplace.json"
PLUGIN_JSON = ".claude-plugin/plugin.json"
ACCESS_YAML = ".skillport/access.yaml"
ACCESS_JSON = ".skillport/access.json"
VALIDATE_YAML = ".skillport/validate.yaml"
LIFECYCLE_YAML = ".skillport/lifecycle.yaml"
