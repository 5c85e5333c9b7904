"""Zendesk messaging: end-user authentication with an HS256 JWT and the signing key's id.

Parts: profile.py (issuer), emulation.py (the sandbox as the vendor), static/adapter.js
(browser), guide.md (setup); contract test: tests/platforms/test_zendesk_contract.py.
"""
