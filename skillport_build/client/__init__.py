"""What runs on a person's machine: the proxy's API, sign-in, and skills put on disk.

api          a typed client of the proxy's HTTP API
login        `skillport login URL`: a browser sign-in or a pasted token
credentials  where the CLI keeps its sign-ins
install      `skillport install` and `skillport updates`
sync         `skillport claude-code sync`: a local marketplace folder Claude Code adds
unpack       downloaded bundles onto the disk without ever leaving half of one
"""
