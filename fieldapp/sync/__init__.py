"""Team sync, cryptographic and transport half: keys, the signed roster, bundles, shared stores.

- :mod:`fieldapp.sync.keys` -- Ed25519 signing keys, age identities, fingerprints
- :mod:`fieldapp.sync.minisign` -- minisign-format signatures (the standard tool verifies them)
- :mod:`fieldapp.sync.roster` -- the team roster signed by the root key; join, approve, revoke
- :mod:`fieldapp.sync.bundle` -- write and open signed, age-encrypted bundles
- :mod:`fieldapp.sync.backends` -- the shared store: folder and WebDAV
- :mod:`fieldapp.sync.layout` -- paths in the shared store (see LAYOUT.md)

Every refusal is a :class:`fieldapp.sync.errors.SyncError` with a ``reason`` code and a translated
``message``. This package does no database work and imports no Qt.
"""
