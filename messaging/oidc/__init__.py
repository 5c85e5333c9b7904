"""The OpenID Connect provider of each brand (what Genesys Cloud's authenticated messaging needs).

A narrow, hand-written subset (see docs/decisions.md "OpenID Connect provider"): the
authorization code grant with PKCE S256 and nonce, the refresh token grant with rotation and
reuse detection, ``client_secret_basic`` and ``client_secret_post``, ``userinfo``, and the
discovery document. Each brand is its own issuer; each Genesys messenger is one client.

``services`` holds the protocol rules (codes, grants, tokens); ``views`` parses HTTP and
answers RFC 6749 JSON errors; ``errors`` is the error type.
"""
