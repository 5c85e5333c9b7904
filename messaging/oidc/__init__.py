"""The OpenID Connect provider of each brand (what Genesys Cloud's authenticated messaging needs).

Built on Authlib's authorization server (docs/decisions/oidc-provider-library.md): the
authorization code grant with PKCE S256, nonce, ``prompt``, ``max_age`` and ``acr_values``,
the refresh token grant with rotation and reuse detection, ``client_secret_basic`` and
``client_secret_post``, ``userinfo``, RFC 9207 ``iss``, and the discovery document. Each brand
is its own issuer; each Genesys messenger is one client.

``server`` adapts our rows to Authlib and holds the grants; ``clients`` authenticates clients
(with a failure throttle that never locks the real client out); ``services`` holds the rules
that are ours (codes, id_tokens, revocation, attributes); ``views`` parses HTTP and answers
RFC 6749 JSON errors; ``errors`` is the error type.
"""
