"""From a loaded marketplace to a published catalog: plan, bump, build, publish, keep the store.

plan         what a build would publish, against the last published catalog
render_plan  a plan as text, JSON or the pull request's Markdown
bump         raise plugin versions in plugin.json and the marketplace entry together
lifecycle    `skillport yank` and `skillport deprecate`
bundle       reproducible zips
build        one zip per skill and per plugin, and the catalog, in store layout
publish      a signed build into a store as one transaction
resign       the store's current catalog with a new expiry
maintain     store upkeep: fetch, reconcile, prune
pr_report    the pull-request report
github_pr    the report comment and bump labels through PyGithub
job          the release job that runs on every merge
"""
