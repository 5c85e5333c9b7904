"""Genesys Cloud Web Messaging: authenticated messaging through the brand's OpenID provider.

Parts: profile.py (issuer), emulation.py (the sandbox as the vendor), static/adapter.js
(browser), guide.md (setup); contract test: tests/platforms/test_genesys_contract.py.
"""
