"""Dynamics 365 Contact Center (Omnichannel live chat): authenticated chat, RS256 JWT.

Parts: profile.py (issuer), emulation.py (the sandbox as the vendor), static/adapter.js
(browser), guide.md (setup); contract test: tests/platforms/test_d365_contract.py.
"""
