"""Salesforce Messaging for In-App and Web: token-based user verification with an RS256 JWT.

Parts: profile.py (issuer), emulation.py (the sandbox as the vendor), static/adapter.js
(browser), guide.md (setup); contract test: tests/platforms/test_salesforce_contract.py.
"""
