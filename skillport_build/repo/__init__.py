"""Reading a marketplace repository into an immutable `Marketplace`, every file read once.

documents    parsed JSON and YAML that remember where each value came from
tree         a folder read once: bytes, size, digest and mode of every regular file
loader       the repository into a `Marketplace`, reporting what it cannot read as diagnostics
marketplace  the loaded marketplace: plugins, skills, their files and digests
digest       content digests, a skill's or plugin's identity
diagnostics  what a check found, where, and what to do
rules        the registry of every validation rule (id, FORMATS.md number, severity, source)
schema       pydantic errors turned into diagnostics with a rule id and a line
jsonedit     minimal textual JSON edits (key order and spacing kept)
scaffold     `skillport init` and `skillport new`
buildcache   plugins whose folders did not change since the last build are not read again
"""
