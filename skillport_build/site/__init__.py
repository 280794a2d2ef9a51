"""The catalog website: static pages generated from the catalog and its bundles, never the repo.

render      the pages of one audience (the set of skills a group may read)
markdown    SKILL.md to safe HTML
templating  the one jinja environment (autoescape on, undefined names are errors)
"""
