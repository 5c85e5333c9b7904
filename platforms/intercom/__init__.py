"""Intercom Messenger security: an HS256 JWT signed with the workspace's Messenger secret.

Parts: profile.py (issuer), emulation.py (the sandbox as the vendor), static/adapter.js
(browser), guide.md (setup); contract test: tests/platforms/test_intercom_contract.py.
"""
