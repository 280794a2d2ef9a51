"""`skillport serve`: the authenticated proxy in front of a store.

state      the database: personal tokens (hashed), the audit log, download counts
live       the served catalog: verified before use, refreshed from the store, kept when it is down
config     settings from a file, SKILLPORT_* variables and flags
access     what one person may see in the served catalog (fail closed)
links      signed, expiring download links bound to a user and a bundle digest
identity   who is calling: session cookie, personal token (header only) or signed link
login      sign-in: OpenID Connect, GitHub OAuth, the loopback-only dev form
search     ranked search through an index over names, descriptions, tags and SKILL.md text
paging     pages of list answers: a limit and an opaque cursor
sitecache  the website rendered once per audience
bundles    bundles read from the store with their sha256 checked, cached by digest
downloads  downloads handed off: a redirect to a presigned store URL, or X-Accel-Redirect to nginx
api        the JSON API, the Claude Code marketplace and the well-known index
pages      the website, the tokens page
admin      the admin dashboard: health, charts, inventory, access explorer, audit log and export
dashboard  what the dashboard shows, worked out from catalog, policy and audit log
explorer   who may read a skill, what a person may read (the policy's own evaluation)
audit_queries  the audit log's filtered pages, exports, daily roll-ups and retention prune
app        the Starlette application and its middleware
server     run it: open the store, keys and state, then serve with uvicorn
service    what the routes answer, for one identity
guard      what every route starts with: who is calling (or refuse), and their rate
connector/ the MCP connector at /mcp, one face of the proxy
"""
