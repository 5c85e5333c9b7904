"""LivePerson Conversational Cloud: authenticated web messaging with an RS256 JWT and signed SDEs.

Parts: profile.py (issuer), emulation.py (the sandbox as the vendor), static/adapter.js
(browser), guide.md (setup); contract test: tests/platforms/test_liveperson_contract.py.
"""
