"""Signing keys and catalog signatures, and checking both before anything is trusted.

minisign  Ed25519 keys and signatures in minisign's formats
keys      where signing keys come from (a file, or an environment variable in CI)
sign      `skillport sign`: the catalog signed with its version and expiry in the trusted comment
verify    `skillport verify`: a signed catalog and the bundles it names
"""
