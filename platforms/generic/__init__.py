"""The generic platform: an asymmetric JWT for the brand's own widget, verified from the JWKS.

Parts: profile.py (issuer), emulation.py (the sandbox as the vendor), static/adapter.js
(browser), guide.md (setup); contract test: tests/platforms/test_generic_contract.py.
"""
